using System.Diagnostics;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Read-your-writes after a write through the gateway (flags, move, delete, append): withdraws any push vouch for the
/// mailbox written (<see cref="MailboxFreshness"/>), then, on the same connection, brings the mailbox's header cache up
/// to the server's state after the write with the synchronizer's delta, when a cache exists. The write has happened
/// whatever this does: a cache left behind is refreshed by the next listing's freshness check.
/// </summary>
public sealed partial class WriteCacheSync(
    IMessageCacheStore store,
    MailboxSynchronizer synchronizer,
    MailboxFreshness freshness,
    IOptions<MessageCacheOptions> cacheOptions,
    ILogger<WriteCacheSync> logger)
{
    /// <summary>After a write to the mailbox selected as <paramref name="folder"/>: a STATUS of it (its view includes
    /// the write), then the delta. Never fails: a store outage or a connection lost here is logged (a dead connection
    /// is discarded by the pool on return).</summary>
    public async Task AfterWriteAsync(ImapLease lease, IMailFolder folder, MailboxRef mailbox, CancellationToken ct)
    {
        await freshness.ForgetAsync(mailbox.Id, ct);
        if (!cacheOptions.Value.Enabled)
        {
            return;
        }

        try
        {
            var items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count;
            if (lease.Client.Capabilities.HasFlag(ImapCapabilities.CondStore))
            {
                items |= StatusItems.HighestModSeq;
            }

            var started = Stopwatch.GetTimestamp();
            await folder.StatusAsync(items, ct);
            lease.MarkSelectionVerified();
            var server = new ServerState(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count, Math.Min(started, lease.SyncedAt));
            await RefreshAsync(lease, mailbox, server, ct);
        }
        catch (Exception ex)
        {
            LogSyncFailed(ex, mailbox.Id);
        }
    }

    /// <summary>After a write whose resulting state <paramref name="server"/> the caller has read already: the delta
    /// only. A store outage is logged; an IMAP failure is the caller's.</summary>
    public async Task AfterWriteAsync(ImapLease lease, MailboxRef mailbox, ServerState server, CancellationToken ct)
    {
        await freshness.ForgetAsync(mailbox.Id, ct);
        if (!cacheOptions.Value.Enabled)
        {
            return;
        }

        try
        {
            await RefreshAsync(lease, mailbox, server, ct);
        }
        catch (StoreUnavailableException ex)
        {
            LogStoreDown(ex, mailbox.Id);
        }
    }

    private async Task RefreshAsync(ImapLease lease, MailboxRef mailbox, ServerState server, CancellationToken ct)
    {
        var key = new MailboxCacheKey(mailbox.Id, server.UidValidity);
        var cached = (await store.ReadAsync(key, ListOrder.Arrival, null, 0, 0, ct)).State;
        if (cached is not null && !server.Matches(cached))
        {
            await synchronizer.RefreshAsync(lease, mailbox.Path, key, cached, server, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The header cache of mailbox {MailboxId} could not follow a write; the next listing refreshes it")]
    private partial void LogSyncFailed(Exception exception, string mailboxId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Header cache unavailable after a write to mailbox {MailboxId}; the next listing refreshes it")]
    private partial void LogStoreDown(Exception exception, string mailboxId);
}

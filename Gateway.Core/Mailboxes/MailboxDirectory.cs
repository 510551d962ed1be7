using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Mailboxes;

/// <summary>A mailbox as the message paths need it: its id, full name and role.</summary>
public sealed record MailboxRef(string Id, string Path, MailboxRole? Role, bool Selectable);

/// <summary>
/// The account's mailbox list (id, full name, role), kept a few seconds in process and minutes in the shared store, so
/// resolving a mailbox id (a hash) to its name needs no LIST per request. <see cref="MailboxService"/> fills it after
/// every LIST and drops it after every mailbox write; a stale entry is harmless because the next IMAP command on a
/// renamed or deleted name fails, and the caller then invalidates and resolves again.
/// </summary>
public sealed partial class MailboxDirectory(IKeyValueStore store, TimeProvider time, ILogger<MailboxDirectory> logger)
{
    private static readonly TimeSpan LocalLifetime = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SharedLifetime = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, MailboxRef[] Mailboxes)> _local = new(StringComparer.Ordinal);

    /// <summary>The cached list, or null when none is young enough.</summary>
    public async Task<MailboxRef[]?> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_local.TryGetValue(accountId, out var local) && time.GetUtcNow() - local.At < LocalLifetime)
        {
            return local.Mailboxes;
        }

        try
        {
            if (await store.GetAsync(Key(accountId), null, cancellationToken) is { } bytes
                && JsonSerializer.Deserialize(bytes, MailboxDirectoryJson.Default.MailboxRefArray) is { } shared)
            {
                _local[accountId] = (time.GetUtcNow(), shared);
                return shared;
            }
        }
        catch (StoreUnavailableException)
        {
            // Fall back to the server.
        }
        catch (JsonException)
        {
            LogUnreadable(accountId);
        }

        return null;
    }

    /// <summary>Forgets the account's list (after a mailbox was created, renamed or deleted).</summary>
    public async Task InvalidateAsync(string accountId, CancellationToken cancellationToken)
    {
        _local.TryRemove(accountId, out _);
        try
        {
            await store.DeleteAsync(Key(accountId), cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // The shared copy expires on its own.
        }
    }

    /// <summary>Keeps a list just read from the server.</summary>
    public async Task<MailboxRef[]> RememberAsync(string accountId, IEnumerable<MailboxInfo> list, CancellationToken cancellationToken)
    {
        var refs = list.Select(m => new MailboxRef(m.Id, m.Path, m.Role, !m.Attributes.Contains("Noselect"))).ToArray();
        _local[accountId] = (time.GetUtcNow(), refs);
        try
        {
            await store.SetAsync(Key(accountId), JsonSerializer.SerializeToUtf8Bytes(refs, MailboxDirectoryJson.Default.MailboxRefArray), SharedLifetime, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
        }

        return refs;
    }

    /// <summary>The mailbox with id or role alias <paramref name="idOrAlias"/> in <paramref name="mailboxes"/>.</summary>
    public static MailboxRef? Find(IEnumerable<MailboxRef> mailboxes, string idOrAlias)
    {
        if (MailboxIds.Aliases.TryGetValue(idOrAlias, out var role))
        {
            return mailboxes.FirstOrDefault(m => m.Role == role);
        }

        return mailboxes.FirstOrDefault(m => m.Id == idOrAlias);
    }

    private static string Key(string accountId) => "mbdir:" + accountId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cached mailbox list of account {AccountId} is unreadable; listing again")]
    private partial void LogUnreadable(string accountId);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(MailboxRef[]))]
internal sealed partial class MailboxDirectoryJson : System.Text.Json.Serialization.JsonSerializerContext;

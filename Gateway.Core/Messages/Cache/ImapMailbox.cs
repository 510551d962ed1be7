using System.Diagnostics;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Messages.Cache;

/// <summary>What STATUS (or SELECT) says about a mailbox.</summary>
/// <param name="UidValidity">UIDVALIDITY.</param>
/// <param name="UidNext">UIDNEXT.</param>
/// <param name="HighestModSeq">HIGHESTMODSEQ (0 without CONDSTORE).</param>
/// <param name="Exists">The message count.</param>
/// <param name="CheckedAt">When the check started (<see cref="System.Diagnostics.Stopwatch"/> ticks): a connection that
/// caught up with the mailbox after this sees at least this state.</param>
public readonly record struct ServerState(uint UidValidity, uint UidNext, ulong HighestModSeq, long Exists, long CheckedAt = 0)
{
    public bool Matches(CacheState cached) =>
        cached.UidValidity == UidValidity && cached.UidNext == UidNext && cached.Exists == Exists && cached.HighestModSeq == HighestModSeq;

    public string Token => MailboxStates.Encode(UidValidity, UidNext, HighestModSeq, Exists);
}

/// <summary>The mailbox named by a cached id no longer exists under that name (renamed or deleted elsewhere).</summary>
internal sealed class MailboxVanishedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>IMAP building blocks shared by listings, refreshes and fills.</summary>
internal static class ImapMailbox
{
    /// <summary>Resolves <paramref name="idOrAlias"/> and runs <paramref name="work"/> on it; when the server says the
    /// cached name does not exist (renamed or deleted elsewhere), resolves at the server and tries once more.</summary>
    /// <exception cref="Errors.MailboxNotFoundException">No such mailbox, even at the server.</exception>
    public static async Task<T> InResolvedAsync<T>(
        MailboxService mailboxes, Accounts.AccountSession session, string idOrAlias, Func<MailboxRef, Task<T>> work, CancellationToken ct)
    {
        var mailbox = await mailboxes.ResolveAsync(session, idOrAlias, refresh: false, ct);
        try
        {
            return await work(mailbox);
        }
        catch (MailboxVanishedException)
        {
            mailbox = await mailboxes.ResolveAsync(session, idOrAlias, refresh: true, ct);
            try
            {
                return await work(mailbox);
            }
            catch (MailboxVanishedException ex)
            {
                throw new Errors.MailboxNotFoundException($"Mailbox '{idOrAlias}' does not exist: {ex.Message}");
            }
        }
    }

    /// <summary>The folder object for <paramref name="path"/> (a LIST the first time on a connection, then cached by MailKit).</summary>
    public static async Task<IMailFolder> FolderAsync(ImapClient client, string path, CancellationToken ct)
    {
        if (string.Equals(path, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return client.Inbox;
        }

        try
        {
            return await client.GetFolderAsync(path, ct);
        }
        catch (FolderNotFoundException ex)
        {
            throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
        }
    }

    /// <summary>
    /// The mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ (with CONDSTORE) and message count, as cheaply as the server
    /// allows: on a connection that has the mailbox selected, NOOP (so the session sees other clients' changes), then
    /// STATUS only if the server reported any change since these values were last read; otherwise EXAMINE, whose answer carries all four and leaves the mailbox selected for the next request.
    /// </summary>
    /// <remarks>A STATUS of a mailbox the session has not selected looks cheap but is not on every server: Dovecot on
    /// Maildir re-reads the whole UID list for it (about 100 ms on a 100,000-message mailbox, measured by the
    /// benchmarks), while on the selected mailbox it answers from the open index.</remarks>
    public static async Task<ServerState> StatusAsync(ImapLease lease, string path, CancellationToken ct)
    {
        var client = lease.Client;
        var started = Stopwatch.GetTimestamp();
        var folder = await FolderAsync(client, path, ct);
        if (!string.Equals(lease.SelectedMailbox, folder.FullName, StringComparison.Ordinal))
        {
            folder = await OpenAsync(lease, path, started, ct);
            return new ServerState(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count, started);
        }

        var items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count;
        if (client.Capabilities.HasFlag(ImapCapabilities.CondStore))
        {
            items |= StatusItems.HighestModSeq;
        }

        try
        {
            // STATUS of the selected mailbox answers from this session's view, which moves on only when the server may
            // report changes (Dovecot answers with the stale view): NOOP first, so other clients' changes show.
            await client.NoOpAsync(ct);
            lease.MarkSynced(started);
            if (lease.SelectionQuiet)
            {
                // The NOOP reported nothing, nor did any command since the values were read: they are still true.
                return new ServerState(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count, started);
            }

            await folder.StatusAsync(items, ct);
            lease.MarkSelectionVerified();
        }
        catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
        {
            throw new MailboxVanishedException($"STATUS of '{path}' was refused: {ex.ResponseText}", ex);
        }
        catch (FolderNotFoundException ex)
        {
            throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
        }

        return new ServerState(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count, started);
    }

    /// <summary>
    /// EXAMINEs <paramref name="path"/>, or reuses the connection's selection of it; a reused selection is first brought
    /// up to date with NOOP unless the session caught up after <paramref name="syncedSince"/> (a freshness check that
    /// started then), so what is fetched next reflects at least that check's state. A selection whose UIDVALIDITY no
    /// longer matches the server's (the mailbox was recreated) is dropped and the mailbox selected again.
    /// </summary>
    public static async Task<IMailFolder> OpenAsync(ImapLease lease, string path, long syncedSince, CancellationToken ct)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var reused = string.Equals(lease.SelectedMailbox, MailboxIds.NormalizePath(path), StringComparison.Ordinal);
            var folder = await lease.OpenMailboxAsync(path, FolderAccess.ReadOnly, ct);
            if (reused && lease.SyncedAt < syncedSince)
            {
                await lease.Client.NoOpAsync(ct);
                lease.MarkSynced(started);
            }

            return folder;
        }
        catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
        {
            lease.ForgetSelection();
            throw new MailboxVanishedException($"EXAMINE of '{path}' was refused: {ex.ResponseText}", ex);
        }
        catch (FolderNotFoundException ex)
        {
            lease.ForgetSelection();
            throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
        }
    }

    /// <summary><see cref="OpenAsync(ImapLease, string, long, CancellationToken)"/>, then checks the UIDVALIDITY against
    /// <paramref name="uidValidity"/>, selecting again once if a reused selection disagrees (a recreated mailbox).</summary>
    /// <exception cref="Errors.UidValidityChangedException">The mailbox's UIDVALIDITY is not the expected one.</exception>
    public static async Task<IMailFolder> OpenAsync(ImapLease lease, string path, uint uidValidity, long syncedSince, CancellationToken ct)
    {
        var folder = await OpenAsync(lease, path, syncedSince, ct);
        if (folder.UidValidity != uidValidity)
        {
            lease.ForgetSelection();
            folder = await OpenAsync(lease, path, syncedSince, ct);
            if (folder.UidValidity != uidValidity)
            {
                throw new Errors.UidValidityChangedException("The mailbox's UIDVALIDITY changed while listing: list from the first page again.");
            }
        }

        return folder;
    }

    /// <summary>Fetches the summaries of <paramref name="uids"/> (one UID FETCH), in UID order.</summary>
    public static async Task<List<MessageSummary>> FetchSummariesAsync(ImapClient client, IMailFolder folder, IList<UniqueId> uids, CancellationToken ct)
    {
        if (uids.Count == 0)
        {
            return [];
        }

        var fetched = await folder.FetchAsync(uids, SummaryFetch.RequestFor(client), ct);
        return ToSummaries(fetched);
    }

    /// <summary>Maps fetched messages to summaries in UID order, leaving out any the server answered incompletely.</summary>
    public static List<MessageSummary> ToSummaries(IList<IMessageSummary> fetched)
    {
        var result = new List<MessageSummary>(fetched.Count);
        foreach (var m in fetched)
        {
            if (SummaryFetch.From(m) is { } summary)
            {
                result.Add(summary);
            }
        }

        result.Sort(static (a, b) => a.Uid.CompareTo(b.Uid));
        return result;
    }

    public static UniqueIdRange Range(uint from, uint to) => new(new UniqueId(from), new UniqueId(to));

    public static UniqueIdRange From(uint from) => new(new UniqueId(from), UniqueId.MaxValue);
}

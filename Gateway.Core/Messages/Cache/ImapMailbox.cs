using Gateway.Core.Imap;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Messages.Cache;

/// <summary>What STATUS (or SELECT) says about a mailbox.</summary>
public readonly record struct ServerState(uint UidValidity, uint UidNext, ulong HighestModSeq, long Exists)
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

    /// <summary>One STATUS: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ (with CONDSTORE) and the count. No SELECT.</summary>
    public static async Task<ServerState> StatusAsync(ImapLease lease, string path, CancellationToken ct)
    {
        var client = lease.Client;
        var folder = await FolderAsync(client, path, ct);
        var items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count;
        if (client.Capabilities.HasFlag(ImapCapabilities.CondStore))
        {
            items |= StatusItems.HighestModSeq;
        }

        try
        {
            if (string.Equals(lease.SelectedMailbox, folder.FullName, StringComparison.Ordinal))
            {
                // STATUS of the selected mailbox answers from this session's view, which moves on only when the server
                // may report changes (RFC 3501 6.3.10 says not to use it there; Dovecot answers with the stale view and
                // a CLIENTBUG notice). Without this NOOP, changes made by other clients stay invisible on the pooled
                // connection that has the mailbox selected, which is the one listings prefer.
                await client.NoOpAsync(ct);
            }

            await folder.StatusAsync(items, ct);
        }
        catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
        {
            throw new MailboxVanishedException($"STATUS of '{path}' was refused: {ex.ResponseText}", ex);
        }
        catch (FolderNotFoundException ex)
        {
            throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
        }

        return new ServerState(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count);
    }

    /// <summary>EXAMINEs <paramref name="path"/> (or reuses the connection's selection).</summary>
    public static async Task<IMailFolder> OpenAsync(ImapLease lease, string path, CancellationToken ct)
    {
        try
        {
            return await lease.OpenMailboxAsync(path, FolderAccess.ReadOnly, ct);
        }
        catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
        {
            throw new MailboxVanishedException($"EXAMINE of '{path}' was refused: {ex.ResponseText}", ex);
        }
        catch (FolderNotFoundException ex)
        {
            throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
        }
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

using Gateway.Core.Imap;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Brings a cached mailbox generation in step with the server by deltas, never by refetching:
/// <list type="number">
/// <item>flag changes and expunges since the cached HIGHESTMODSEQ with one
/// <c>UID FETCH 1:n (FLAGS) (CHANGEDSINCE m VANISHED)</c> (QRESYNC reports expunged UIDs as VANISHED);</item>
/// <item>new messages with one <c>UID FETCH uidnext:*</c> of the summary items;</item>
/// <item>without QRESYNC, expunges by comparing <c>UID SEARCH ALL</c> with the cached UIDs, only when the counts say
/// something was expunged; without CONDSTORE flags are refreshed per listed page instead.</item>
/// </list>
/// Refreshes of one mailbox are serialised in process; across instances they are idempotent (MODSEQ-guarded upserts,
/// removal tombstones, monotonic state).
/// </summary>
public sealed partial class MailboxSynchronizer(IMessageCacheStore store, CacheMetrics metrics, ILogger<MailboxSynchronizer> logger)
{
    /// <summary>Up to this MODSEQ distance, a refresh fetches changed messages whole in the same command as new ones.</summary>
    private const ulong SmallChange = 64;

    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>Applies what changed between <paramref name="cached"/> and <paramref name="server"/>, using the leased
    /// connection. Returns false when the generation vanished meanwhile (the caller answers from IMAP).</summary>
    public async Task<bool> RefreshAsync(ImapLease lease, string path, MailboxCacheKey key, CacheState cached, ServerState server, CancellationToken ct)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(key.MailboxId) % (uint)_stripes.Length];
        await stripe.WaitAsync(ct);
        try
        {
            // Someone may have done it while we waited.
            var current = (await store.ReadAsync(key, ListOrder.Arrival, null, 0, 0, ct)).State;
            if (current is null)
            {
                return false;
            }

            if (server.Matches(current))
            {
                return true;
            }

            await ApplyDeltaAsync(lease, path, key, current, server, ct);
            metrics.Refreshed();
            return true;
        }
        finally
        {
            stripe.Release();
        }
    }

    private async Task ApplyDeltaAsync(ImapLease lease, string path, MailboxCacheKey key, CacheState c, ServerState s, CancellationToken ct)
    {
        var client = lease.Client;
        IMailFolder folder;
        try
        {
            folder = await ImapMailbox.OpenAsync(lease, path, key.UidValidity, s.CheckedAt, ct);
        }
        catch (Errors.UidValidityChangedException)
        {
            return; // a new generation: the next listing starts it
        }

        var condstore = client.Capabilities.HasFlag(ImapCapabilities.CondStore) && s.HighestModSeq > 0 && c.HighestModSeq > 0;
        var qresync = condstore && client.Capabilities.HasFlag(ImapCapabilities.QuickResync);
        var upserts = new List<MessageSummary>();
        var removals = new List<uint>();
        var missing = new List<UniqueId>();

        var fresh = new List<MessageSummary>();
        if (condstore && s.HighestModSeq - c.HighestModSeq <= SmallChange)
        {
            // A small change (the MODSEQ distance bounds how many messages changed): one command fetches the changed
            // and the new messages whole, and reports expunges.
            var vanished = new List<uint>();
            void OnVanished(object? sender, MessagesVanishedEventArgs e) => vanished.AddRange(e.UniqueIds.Select(u => u.Id));
            folder.MessagesVanished += OnVanished;
            try
            {
                var changed = await folder.FetchAsync(ImapMailbox.From(1), SummaryFetch.RequestFor(client, c.HighestModSeq), ct);
                foreach (var summary in ImapMailbox.ToSummaries(changed))
                {
                    (summary.Uid < c.UidNext ? upserts : fresh).Add(summary);
                }
            }
            finally
            {
                folder.MessagesVanished -= OnVanished;
            }

            removals.AddRange(vanished.Where(u => u < c.UidNext));
        }
        else if (condstore && c.UidNext > 1 && s.HighestModSeq > c.HighestModSeq)
        {
            var vanished = new List<uint>();
            void OnVanished(object? sender, MessagesVanishedEventArgs e) => vanished.AddRange(e.UniqueIds.Select(u => u.Id));
            folder.MessagesVanished += OnVanished;
            IList<IMessageSummary> changed;
            try
            {
                var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq)
                {
                    ChangedSince = c.HighestModSeq,
                };
                changed = await folder.FetchAsync(ImapMailbox.Range(1, c.UidNext - 1), request, ct);
            }
            finally
            {
                folder.MessagesVanished -= OnVanished;
            }

            var changedUids = changed.Where(m => m.UniqueId.IsValid && m.UniqueId.Id < c.UidNext).Select(m => m.UniqueId.Id).ToArray();
            var known = (await store.GetAsync(key, changedUids, ct)).ToDictionary(m => m.Uid);
            foreach (var m in changed)
            {
                if (!m.UniqueId.IsValid || m.UniqueId.Id >= c.UidNext || m.Flags is null)
                {
                    continue;
                }

                if (known.TryGetValue(m.UniqueId.Id, out var old))
                {
                    upserts.Add(old with { Flags = SummaryFetch.MapFlags(m.Flags.Value), Keywords = SummaryFetch.Keywords(m.Keywords), ModSeq = m.ModSeq ?? old.ModSeq });
                }
                else
                {
                    // Not cached yet (the fill has not reached it): cache it whole, with its new MODSEQ, so a fill batch
                    // fetched before the change cannot write the old flags over it.
                    missing.Add(m.UniqueId);
                }
            }

            removals.AddRange(vanished.Where(u => u < c.UidNext));
        }

        if (s.UidNext > c.UidNext && !(condstore && s.HighestModSeq - c.HighestModSeq <= SmallChange))
        {
            // "n:*" also matches the highest existing UID when it is below n: keep only really new ones.
            fresh = (await ImapMailbox.FetchSummariesAsync(client, folder, ImapMailbox.From(c.UidNext), ct)).Where(m => m.Uid >= c.UidNext).ToList();
        }

        if (missing.Count > 0)
        {
            upserts.AddRange(await ImapMailbox.FetchSummariesAsync(client, folder, missing, ct));
        }

        // Without VANISHED, a count that does not add up means something was expunged: compare UID sets.
        var expected = c.Exists + fresh.Count - removals.Count;
        if (!qresync ? s.Exists != c.Exists + fresh.Count : c.Complete && expected != s.Exists)
        {
            var serverUids = new HashSet<uint>((await folder.SearchAsync(SearchQuery.All, ct)).Select(u => u.Id));
            var cachedUids = await store.GetUidsAsync(key, ct);
            removals.AddRange(cachedUids.Where(u => u < c.UidNext && !serverUids.Contains(u)));
            LogReconciled(key.MailboxId, removals.Count);
        }

        upserts.AddRange(fresh);
        await store.ApplyAsync(key, new CacheChange(upserts, removals, new SyncPoint(s.UidNext, s.HighestModSeq, s.Exists)), ct);
    }

    /// <summary>Without CONDSTORE the cache cannot know of flag changes: re-read the flags of the messages about to be
    /// shown (one <c>UID FETCH (FLAGS)</c>) and patch them, in the answer and in the cache.</summary>
    public async Task<IReadOnlyList<MessageSummary>> RefreshFlagsAsync(ImapLease lease, string path, MailboxCacheKey key, IReadOnlyList<MessageSummary> items, long syncedSince, CancellationToken ct)
    {
        if (items.Count == 0)
        {
            return items;
        }

        var folder = await ImapMailbox.OpenAsync(lease, path, key.UidValidity, syncedSince, ct);
        var fetched = await folder.FetchAsync(items.Select(i => new UniqueId(i.Uid)).ToList(), MessageSummaryItems.UniqueId | MessageSummaryItems.Flags, ct);
        var flags = fetched.Where(f => f.Flags is not null).ToDictionary(f => f.UniqueId.Id);
        var result = new List<MessageSummary>(items.Count);
        var changed = new List<MessageSummary>();
        var gone = new List<uint>();
        foreach (var item in items)
        {
            if (!flags.TryGetValue(item.Uid, out var f))
            {
                gone.Add(item.Uid);
                continue;
            }

            var updated = item with { Flags = SummaryFetch.MapFlags(f.Flags!.Value), Keywords = SummaryFetch.Keywords(f.Keywords) };
            if (updated.Flags != item.Flags || !updated.Keywords.SequenceEqual(item.Keywords))
            {
                changed.Add(updated);
            }

            result.Add(updated);
        }

        if (changed.Count > 0 || gone.Count > 0)
        {
            await store.ApplyAsync(key, new CacheChange(changed, gone, null), ct);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mailbox {MailboxId}: UID sets compared, {Removed} cached messages no longer exist")]
    private partial void LogReconciled(string mailboxId, int removed);
}

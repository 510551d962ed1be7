using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// <see cref="IMessageCacheStore"/> in process, used when no Redis is configured: the same semantics as the Redis
/// store (keyset order, MODSEQ-guarded upserts, removed UIDs never re-added, idle expiry), one lock per mailbox.
/// </summary>
public sealed class MemoryMessageCacheStore(TimeProvider time, IOptions<MessageCacheOptions> options) : IMessageCacheStore
{
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, Generation> _mailboxes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> _fillLeases = new(StringComparer.Ordinal);
    private int _operations;

    public Task<CacheSlice> ReadAsync(MailboxCacheKey key, ListOrder order, ListPosition? after, uint uidLimit, int count, CancellationToken cancellationToken)
    {
        if (Find(key) is not { } g)
        {
            return Task.FromResult(new CacheSlice(null, [], true));
        }

        lock (g)
        {
            var limit = uidLimit == 0 ? uint.MaxValue : uidLimit;
            var items = new List<MessageSummary>(Math.Max(0, count));
            var exhausted = true;
            if (count > 0)
            {
                IEnumerable<MessageSummary> source = order == ListOrder.Arrival
                    ? ArrivalAfter(g, after, limit)
                    : DateAfter(g, after, limit);
                foreach (var summary in source)
                {
                    if (items.Count == count)
                    {
                        exhausted = false;
                        break;
                    }

                    items.Add(summary);
                }
            }

            return Task.FromResult(new CacheSlice(g.State, items, exhausted));
        }
    }

    public Task<IReadOnlyList<MessageSummary>> GetAsync(MailboxCacheKey key, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken)
    {
        if (Find(key) is not { } g)
        {
            return Task.FromResult<IReadOnlyList<MessageSummary>>([]);
        }

        lock (g)
        {
            return Task.FromResult<IReadOnlyList<MessageSummary>>(
                uids.Select(u => g.ByUid.GetValueOrDefault(u)).OfType<MessageSummary>().ToArray());
        }
    }

    public Task<IReadOnlyList<uint>> GetUidsAsync(MailboxCacheKey key, CancellationToken cancellationToken)
    {
        if (Find(key) is not { } g)
        {
            return Task.FromResult<IReadOnlyList<uint>>([]);
        }

        lock (g)
        {
            return Task.FromResult<IReadOnlyList<uint>>(g.Uids.ToArray());
        }
    }

    public Task<IReadOnlyList<CacheState?>> GetStatesAsync(IReadOnlyList<MailboxCacheKey> keys, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CacheState?>>(keys.Select(k => Find(k)?.State).ToArray());

    public Task<bool> CreateAsync(MailboxCacheKey key, CacheState state, CancellationToken cancellationToken)
    {
        MaybeSweep();
        var fresh = new Generation(key.UidValidity, state with { UidValidity = key.UidValidity, Cached = 0 }, time.GetUtcNow());
        while (true)
        {
            if (_mailboxes.TryGetValue(key.MailboxId, out var existing))
            {
                if (existing.UidValidity == key.UidValidity && !IsExpired(existing))
                {
                    return Task.FromResult(false);
                }

                if (_mailboxes.TryUpdate(key.MailboxId, fresh, existing))
                {
                    return Task.FromResult(true);
                }
            }
            else if (_mailboxes.TryAdd(key.MailboxId, fresh))
            {
                return Task.FromResult(true);
            }
        }
    }

    public Task<bool> ApplyAsync(MailboxCacheKey key, CacheChange change, CancellationToken cancellationToken)
    {
        if (Find(key) is not { } g)
        {
            return Task.FromResult(false);
        }

        lock (g)
        {
            var now = time.GetUtcNow();
            foreach (var uid in change.Removals)
            {
                Remove(g, uid);
                g.Tombstones[uid] = now;
            }

            foreach (var summary in change.Upserts)
            {
                if (g.Tombstones.ContainsKey(summary.Uid))
                {
                    continue;
                }

                if (g.ByUid.TryGetValue(summary.Uid, out var old))
                {
                    if (old.ModSeq > summary.ModSeq)
                    {
                        continue;
                    }

                    Remove(g, summary.Uid);
                }

                g.ByUid[summary.Uid] = summary;
                g.Uids.Add(summary.Uid);
                g.ByDate.Add(new DateKey(summary.SortDate.ToUnixTimeSeconds(), summary.Uid));
            }

            foreach (var (uid, at) in g.Tombstones.ToArray())
            {
                if (now - at > TombstoneLifetime)
                {
                    g.Tombstones.Remove(uid);
                }
            }

            var s = g.State;
            if (change.SyncedTo is { } to)
            {
                var advance = to.HighestModSeq >= s.HighestModSeq;
                s = s with
                {
                    UidNext = Math.Max(s.UidNext, to.UidNext),
                    HighestModSeq = advance ? to.HighestModSeq : s.HighestModSeq,
                    Exists = advance ? to.Exists : s.Exists,
                };
            }

            g.State = s with
            {
                FillFloor = change.FillFloor is { } floor ? Math.Min(floor, s.FillFloor) : s.FillFloor,
                Cached = g.ByUid.Count,
            };
            g.LastUsed = now;
            return Task.FromResult(true);
        }
    }

    public Task DropAsync(string mailboxId, CancellationToken cancellationToken)
    {
        _mailboxes.TryRemove(mailboxId, out _);
        return Task.CompletedTask;
    }

    public Task<bool> TryLeaseFillAsync(MailboxCacheKey key, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var name = $"{key.MailboxId}:{key.UidValidity}";
        var now = time.GetUtcNow();
        while (true)
        {
            if (_fillLeases.TryGetValue(name, out var held))
            {
                if (held.Until > now && held.Owner != owner)
                {
                    return Task.FromResult(false);
                }

                if (_fillLeases.TryUpdate(name, (owner, now + duration), held))
                {
                    return Task.FromResult(true);
                }
            }
            else if (_fillLeases.TryAdd(name, (owner, now + duration)))
            {
                return Task.FromResult(true);
            }
        }
    }

    public Task ReleaseFillAsync(MailboxCacheKey key, string owner, CancellationToken cancellationToken)
    {
        var name = $"{key.MailboxId}:{key.UidValidity}";
        if (_fillLeases.TryGetValue(name, out var held) && held.Owner == owner)
        {
            _fillLeases.TryRemove(KeyValuePair.Create(name, held));
        }

        return Task.CompletedTask;
    }

    private Generation? Find(MailboxCacheKey key)
    {
        if (!_mailboxes.TryGetValue(key.MailboxId, out var g) || g.UidValidity != key.UidValidity)
        {
            return null;
        }

        if (IsExpired(g))
        {
            _mailboxes.TryRemove(KeyValuePair.Create(key.MailboxId, g));
            return null;
        }

        g.LastUsed = time.GetUtcNow();
        return g;
    }

    private bool IsExpired(Generation g) => time.GetUtcNow() - g.LastUsed > options.Value.IdleExpiry;

    private void MaybeSweep()
    {
        if (Interlocked.Increment(ref _operations) % 256 != 0)
        {
            return;
        }

        foreach (var (id, g) in _mailboxes)
        {
            if (IsExpired(g))
            {
                _mailboxes.TryRemove(KeyValuePair.Create(id, g));
            }
        }
    }

    private static IEnumerable<MessageSummary> ArrivalAfter(Generation g, ListPosition? after, uint limit)
    {
        var max = Math.Min(limit - 1, after is { } p ? p.Uid - 1 : uint.MaxValue);
        if (max == 0 || g.Uids.Count == 0 || max < g.Uids.Min)
        {
            yield break;
        }

        foreach (var uid in g.Uids.GetViewBetween(0, max).Reverse())
        {
            yield return g.ByUid[uid];
        }
    }

    private static IEnumerable<MessageSummary> DateAfter(Generation g, ListPosition? after, uint limit)
    {
        IEnumerable<DateKey> keys = g.ByDate;
        if (after is { } p)
        {
            var from = new DateKey(p.SortDate.ToUnixTimeSeconds(), p.Uid);
            keys = g.ByDate.Count == 0 || DateKey.Comparer.Compare(from, g.ByDate.Max) >= 0
                ? []
                : g.ByDate.GetViewBetween(from, g.ByDate.Max).Where(k => DateKey.Comparer.Compare(k, from) > 0);
        }

        foreach (var key in keys)
        {
            if (key.Uid < limit && g.ByUid.TryGetValue(key.Uid, out var summary))
            {
                yield return summary;
            }
        }
    }

    private static void Remove(Generation g, uint uid)
    {
        if (g.ByUid.Remove(uid, out var old))
        {
            g.Uids.Remove(uid);
            g.ByDate.Remove(new DateKey(old.SortDate.ToUnixTimeSeconds(), uid));
        }
    }

    /// <summary>Listing order for dates: newest first, ties by UID ascending (as IMAP SORT (REVERSE DATE)).</summary>
    private readonly record struct DateKey(long Seconds, uint Uid)
    {
        public static readonly Comparer<DateKey> Comparer = Comparer<DateKey>.Create(static (a, b) =>
            a.Seconds != b.Seconds ? b.Seconds.CompareTo(a.Seconds) : a.Uid.CompareTo(b.Uid));
    }

    private sealed class Generation(uint uidValidity, CacheState state, DateTimeOffset now)
    {
        public uint UidValidity { get; } = uidValidity;

        public CacheState State { get; set; } = state;

        public DateTimeOffset LastUsed { get; set; } = now;

        public Dictionary<uint, MessageSummary> ByUid { get; } = [];

        public SortedSet<uint> Uids { get; } = [];

        public SortedSet<DateKey> ByDate { get; } = new(DateKey.Comparer);

        public Dictionary<uint, DateTimeOffset> Tombstones { get; } = [];
    }
}

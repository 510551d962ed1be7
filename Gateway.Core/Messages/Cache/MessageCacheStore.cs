namespace Gateway.Core.Messages.Cache;

/// <summary>One generation of one mailbox's cache: a mailbox id and the UIDVALIDITY its UIDs belong to.</summary>
public readonly record struct MailboxCacheKey(string MailboxId, uint UidValidity);

/// <summary>
/// What the cache knows of a mailbox: the server state its contents reflect and how far the background fill got.
/// </summary>
/// <param name="UidValidity">The generation.</param>
/// <param name="UidNext">UIDNEXT when last synchronised: every UID below it that exists and is at or above
/// <paramref name="FillFloor"/> is cached.</param>
/// <param name="HighestModSeq">HIGHESTMODSEQ when last synchronised (0 without CONDSTORE).</param>
/// <param name="Exists">The message count the server reported then.</param>
/// <param name="FillFloor">The lowest UID from which on everything is cached; 1 (or 0) when the whole mailbox is.</param>
/// <param name="Cached">How many summaries are cached.</param>
public sealed record CacheState(
    uint UidValidity,
    uint UidNext,
    ulong HighestModSeq,
    long Exists,
    uint FillFloor,
    long Cached)
{
    /// <summary>True when every message below <see cref="UidNext"/> is cached.</summary>
    public bool Complete => FillFloor <= 1;
}

/// <summary>The two orders a listing can have.</summary>
public enum ListOrder
{
    /// <summary>Newest arrival first: UID descending.</summary>
    Arrival,

    /// <summary>Date header descending (INTERNALDATE when absent), ties in mailbox order, as IMAP SORT (REVERSE DATE).</summary>
    Date,
}

/// <summary>A position in a listing: the last item returned (exclusive). Null members mean "from the start".</summary>
/// <param name="Uid">UID of the last item returned.</param>
/// <param name="SortDate">Its sort date (date order only).</param>
public readonly record struct ListPosition(uint Uid, DateTimeOffset SortDate);

/// <summary>A slice of a cached listing and the state it was read under (atomically).</summary>
/// <param name="State">The cache state; null when the mailbox generation is not cached at all.</param>
/// <param name="Items">Summaries in listing order.</param>
/// <param name="Exhausted">True when the cached index has nothing after the last item.</param>
public sealed record CacheSlice(CacheState? State, IReadOnlyList<MessageSummary> Items, bool Exhausted);

/// <summary>The server state a change brings the cache to.</summary>
/// <param name="UidNext">UIDNEXT (kept when lower than the stored one).</param>
/// <param name="HighestModSeq">HIGHESTMODSEQ (kept, with <paramref name="Exists"/>, when lower than the stored one).</param>
/// <param name="Exists">The server's message count at that state.</param>
public readonly record struct SyncPoint(uint UidNext, ulong HighestModSeq, long Exists);

/// <summary>A change to apply to one generation's cache, atomically.</summary>
/// <param name="Upserts">Summaries to add or replace (an older MODSEQ never replaces a newer one; a removed UID is
/// never re-added).</param>
/// <param name="Removals">UIDs that no longer exist.</param>
/// <param name="SyncedTo">The server state the change brings the cache to; null for a fill batch, which adds older
/// messages without changing it.</param>
/// <param name="FillFloor">New fill floor (kept when higher than the stored one); null leaves it.</param>
public sealed record CacheChange(
    IReadOnlyList<MessageSummary> Upserts,
    IReadOnlyList<uint> Removals,
    SyncPoint? SyncedTo,
    uint? FillFloor = null);

/// <summary>
/// The header cache: per mailbox generation, the summaries ordered for keyset paging (by UID and by date) and the sync
/// state. Redis when configured (shared by all instances), else in process. Every method may throw
/// <see cref="Storage.StoreUnavailableException"/>; callers then answer from IMAP.
/// </summary>
public interface IMessageCacheStore
{
    /// <summary>Reads up to <paramref name="count"/> summaries after <paramref name="after"/> in
    /// <paramref name="order"/>, skipping UIDs at or above <paramref name="uidLimit"/>, with the state, in one round trip.</summary>
    Task<CacheSlice> ReadAsync(MailboxCacheKey key, ListOrder order, ListPosition? after, uint uidLimit, int count, CancellationToken cancellationToken);

    /// <summary>The cached summaries of the given UIDs (missing ones left out).</summary>
    Task<IReadOnlyList<MessageSummary>> GetAsync(MailboxCacheKey key, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken);

    /// <summary>Every cached UID, ascending (for reconciling with the server without QRESYNC).</summary>
    Task<IReadOnlyList<uint>> GetUidsAsync(MailboxCacheKey key, CancellationToken cancellationToken);

    /// <summary>The states of several generations at once (for the mailbox list).</summary>
    Task<IReadOnlyList<CacheState?>> GetStatesAsync(IReadOnlyList<MailboxCacheKey> keys, CancellationToken cancellationToken);

    /// <summary>Starts a generation with no summaries, unless it exists. Drops every other generation of the mailbox.
    /// True when this call created it.</summary>
    Task<bool> CreateAsync(MailboxCacheKey key, CacheState state, CancellationToken cancellationToken);

    /// <summary>Applies a change; false (and nothing written) when the generation does not exist.</summary>
    Task<bool> ApplyAsync(MailboxCacheKey key, CacheChange change, CancellationToken cancellationToken);

    /// <summary>Drops every generation of the mailbox.</summary>
    Task DropAsync(string mailboxId, CancellationToken cancellationToken);

    /// <summary>Takes a lease that lets one process (cluster-wide) fill a generation; false when someone holds it.</summary>
    Task<bool> TryLeaseFillAsync(MailboxCacheKey key, string owner, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives a fill lease back (only if <paramref name="owner"/> still holds it).</summary>
    Task ReleaseFillAsync(MailboxCacheKey key, string owner, CancellationToken cancellationToken);
}

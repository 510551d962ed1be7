using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MimeKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Messages;

/// <summary>Where a listing page came from.</summary>
public enum PageSource
{
    Cache,
    Imap,
}

/// <summary>How far a mailbox's header cache is filled.</summary>
public enum CacheFillStatus
{
    /// <summary>Nothing cached yet: the first listing answers from IMAP and starts the fill.</summary>
    None,

    /// <summary>The newest messages are cached; older ones are being fetched in the background.</summary>
    Filling,

    /// <summary>Every message's summary is cached.</summary>
    Complete,
}

/// <summary>The fill progress of one mailbox's header cache.</summary>
public sealed record MailboxCacheProgress(CacheFillStatus Status, long CachedMessages);

/// <summary>One page of a listing.</summary>
/// <param name="Mailbox">The mailbox listed.</param>
/// <param name="UidValidity">Its UIDVALIDITY (message ids are made with it).</param>
/// <param name="Items">The page, in listing order.</param>
/// <param name="NextPageToken">Token of the next page; null on the last.</param>
/// <param name="State">The mailbox state token.</param>
/// <param name="ETag">Entity tag of this page (quoted).</param>
/// <param name="Known">True when the caller said it already has the representation with this ETag: no items were read.</param>
/// <param name="Source">Cache or IMAP.</param>
/// <param name="StateTagged">True when the ETag follows from the mailbox state and the query alone (CONDSTORE): the same
/// ETag then always means the same page, so a rendering of it may be reused.</param>
public sealed record MessagePage(
    MailboxRef Mailbox,
    uint UidValidity,
    IReadOnlyList<MessageSummary> Items,
    string? NextPageToken,
    string State,
    string ETag,
    bool Known,
    PageSource Source,
    bool StateTagged);

/// <summary>
/// Lists a mailbox's messages, newest first, with keyset paging. Each page costs one STATUS on a pooled connection
/// (no SELECT) to learn whether the cached headers are current; when they are, the page comes from the cache with no
/// FETCH at all; when not, only the delta is fetched first (<see cref="MailboxSynchronizer"/>). A cold mailbox answers
/// its page straight from IMAP while <see cref="MailboxFiller"/> fills the cache in the background; so do text
/// searches and every request while the store (Redis) is down.
/// </summary>
public sealed partial class MessageListService(
    IImapSessionPool pool,
    MailboxService mailboxes,
    IMessageCacheStore store,
    MailboxSynchronizer synchronizer,
    MailboxFiller filler,
    CacheMetrics metrics,
    MailboxFreshness freshness,
    FreshnessChecks checks,
    IOptions<MessageCacheOptions> options,
    ILogger<MessageListService> logger)
{
    /// <summary>One page of <paramref name="mailboxIdOrAlias"/>.</summary>
    /// <param name="session">The caller.</param>
    /// <param name="mailboxIdOrAlias">A mailbox id or role alias.</param>
    /// <param name="query">Order, size, token, filters.</param>
    /// <param name="known">Asked with the page's ETag as soon as it is known (with CONDSTORE, right after STATUS): true
    /// means the caller already has that representation (If-None-Match, or a rendering it keeps) and no items are read.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <exception cref="MailboxNotFoundException">No such mailbox.</exception>
    /// <exception cref="RequestValidationException">A bad page token.</exception>
    /// <exception cref="UidValidityChangedException">The page token is from an older UIDVALIDITY.</exception>
    public async Task<MessagePage> ListAsync(AccountSession session, string mailboxIdOrAlias, MessageListQuery query, Func<string, bool>? known, CancellationToken cancellationToken)
    {
        // A stale cached name (renamed or deleted elsewhere) is resolved at the server and tried once more.
        return await ImapMailbox.InResolvedAsync(
            mailboxes, session, mailboxIdOrAlias, mailbox => ListInAsync(session, mailbox, query, known, cancellationToken), cancellationToken);
    }

    /// <summary>How far the header cache of each mailbox is filled (null where the store cannot say, e.g. Redis down).</summary>
    public async Task<IReadOnlyList<MailboxCacheProgress?>> GetCacheProgressAsync(IReadOnlyList<MailboxInfo> list, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || list.Count == 0)
        {
            return new MailboxCacheProgress?[list.Count];
        }

        try
        {
            var keys = list.Select(m => new MailboxCacheKey(m.Id, (uint)m.UidValidity)).ToArray();
            var states = await store.GetStatesAsync(keys, cancellationToken);
            return states.Select((state, i) => (MailboxCacheProgress?)(list[i].UidValidity == 0 ? null
                : state is null ? new MailboxCacheProgress(CacheFillStatus.None, 0)
                : new MailboxCacheProgress(state.Complete ? CacheFillStatus.Complete : CacheFillStatus.Filling, state.Cached))).ToArray();
        }
        catch (StoreUnavailableException)
        {
            return new MailboxCacheProgress?[list.Count];
        }
    }

    private async Task<MessagePage> ListInAsync(AccountSession session, MailboxRef mailbox, MessageListQuery query, Func<string, bool>? known, CancellationToken cancellationToken)
    {
        var binding = PageTokens.Binding(session.AccountId, mailbox.Id, query.Order, query.Filter);
        PageTokens.Token? token = query.PageToken is null ? null : PageTokens.Decode(query.PageToken, binding);
        if (!mailbox.Selectable)
        {
            return new MessagePage(mailbox, 0, [], null, string.Empty, "\"empty\"", false, PageSource.Imap, false);
        }

        // A watcher's vouch (push) saves even the check; otherwise one coalesced NOOP + STATUS (or EXAMINE).
        var server = await freshness.TryGetAsync(mailbox.Id, cancellationToken)
            ?? await checks.CheckAsync(session.Account, mailbox.Path, cancellationToken);
        if (token is { } t && t.UidValidity != server.UidValidity)
        {
            throw new UidValidityChangedException("The mailbox's UIDVALIDITY changed since this page token was issued: list from the first page again.");
        }

        var condstore = server.HighestModSeq > 0;
        var stateToken = server.Token;
        var etag = condstore ? ETag(stateToken, binding, query) : null;
        if (etag is not null && known?.Invoke(etag) == true)
        {
            return new MessagePage(mailbox, server.UidValidity, [], null, stateToken, etag, true, PageSource.Cache, true);
        }

        var key = new MailboxCacheKey(mailbox.Id, server.UidValidity);
        var uidLimit = token?.UidLimit ?? server.UidNext;
        var count = Math.Clamp(query.PageSize, 1, MessageListQuery.MaxPageSize);

        (List<MessageSummary> Items, bool More)? page = null;
        var source = PageSource.Cache;
        var startFill = false;
        if (options.Value.Enabled && query.Filter.CacheCanAnswer)
        {
            (page, startFill) = await FromCacheAsync(session, mailbox, key, server, query, token, uidLimit, count, cancellationToken);
        }

        if (page is null)
        {
            source = PageSource.Imap;
            page = await pool.ExecuteAsync(
                session.Account,
                (lease, ct) => FromImapAsync(lease, mailbox.Path, server, query, token, uidLimit, count, ct),
                new ImapOperationOptions(Mailbox: mailbox.Path),
                cancellationToken);
            metrics.Miss();
        }
        else
        {
            metrics.Hit();
        }

        if (startFill)
        {
            // After the page: the fill competes for the same server and cores, and the caller is waiting for the page.
            filler.Start(session.Account, mailbox.Path, key);
        }

        var (items, more) = page.Value;
        string? next = null;
        if (more && items.Count > 0)
        {
            var last = items[^1];
            next = PageTokens.Encode(binding, new PageTokens.Token(server.UidValidity, uidLimit, new ListPosition(last.Uid, last.SortDate)));
        }

        if (etag is null)
        {
            // Without CONDSTORE the state cannot vouch for flags: the ETag covers the page's content, so it can only
            // be compared once the page is read (no IMAP saved, but the body is).
            var contentTag = ContentETag(stateToken, binding, query, items);
            return known?.Invoke(contentTag) == true
                ? new MessagePage(mailbox, server.UidValidity, [], null, stateToken, contentTag, true, source, false)
                : new MessagePage(mailbox, server.UidValidity, items, next, stateToken, contentTag, false, source, false);
        }

        return new MessagePage(mailbox, server.UidValidity, items, next, stateToken, etag, false, source, true);
    }

    /// <summary>The page from the cache, refreshing it by delta first when the server moved on; null when the cache
    /// cannot answer it (cold, not filled far enough, or the store is down).</summary>
    private async Task<((List<MessageSummary>, bool)? Page, bool StartFill)> FromCacheAsync(
        AccountSession session, MailboxRef mailbox, MailboxCacheKey key, ServerState server,
        MessageListQuery query, PageTokens.Token? token, uint uidLimit, int count, CancellationToken ct)
    {
        try
        {
            var want = count + 1;
            var chunk = query.Filter.IsEmpty ? want : Math.Max(want, 200);
            var slice = await store.ReadAsync(key, query.Order, token?.After, uidLimit, chunk, ct);
            if (slice.State is null)
            {
                return (null, true);
            }

            if (!server.Matches(slice.State))
            {
                var cached = slice.State;
                var refreshed = await pool.ExecuteAsync(
                    session.Account,
                    (lease, token) => synchronizer.RefreshAsync(lease, mailbox.Path, key, cached, server, token),
                    new ImapOperationOptions(Mailbox: mailbox.Path),
                    ct);
                if (!refreshed)
                {
                    return (null, false);
                }

                slice = await store.ReadAsync(key, query.Order, token?.After, uidLimit, chunk, ct);
                if (slice.State is null)
                {
                    return (null, false);
                }
            }

            var state = slice.State;

            // Resume an interrupted fill (a no-op if this or another instance is filling).
            var startFill = !state.Complete && !filler.IsFilling(key);
            if (query.Order == ListOrder.Date && !state.Complete)
            {
                return (null, startFill);
            }

            var items = new List<MessageSummary>(want);
            while (true)
            {
                foreach (var m in slice.Items)
                {
                    if (!state.Complete && m.Uid < state.FillFloor)
                    {
                        return (null, startFill); // below what the fill has reached: the cache cannot tell what lies between
                    }

                    if (query.Filter.Matches(m, serverMatched: false))
                    {
                        items.Add(m);
                        if (items.Count == want)
                        {
                            break;
                        }
                    }
                }

                if (items.Count == want)
                {
                    break;
                }

                if (slice.Exhausted)
                {
                    if (!state.Complete)
                    {
                        return (null, startFill);
                    }

                    break;
                }

                var last = slice.Items[^1];
                chunk = Math.Min(chunk * 2, 5000);
                slice = await store.ReadAsync(key, query.Order, new ListPosition(last.Uid, last.SortDate), uidLimit, chunk, ct);
                if (slice.State is null)
                {
                    return (null, false);
                }
            }

            var more = items.Count > count;
            if (more)
            {
                items.RemoveAt(items.Count - 1);
            }

            if (server.HighestModSeq == 0)
            {
                // No CONDSTORE: the cache cannot see flag changes; re-read the flags of what is shown.
                var shown = items;
                var withFlags = await pool.ExecuteAsync(
                    session.Account,
                    (lease, token) => synchronizer.RefreshFlagsAsync(lease, mailbox.Path, key, shown, server.CheckedAt, token),
                    new ImapOperationOptions(Mailbox: mailbox.Path),
                    ct);
                items = withFlags.Where(m => query.Filter.Matches(m, serverMatched: false)).ToList();
            }

            return ((items, more), startFill);
        }
        catch (StoreUnavailableException ex)
        {
            metrics.StoreFailures.Add(1);
            LogStoreDown(ex, mailbox.Id);
            return (null, false);
        }
    }

    /// <summary>The page straight from IMAP: the newest messages by sequence number when unfiltered, else the UIDs from
    /// SEARCH (or SORT for date order), then one UID FETCH of the page's summaries.</summary>
    private static async Task<(List<MessageSummary>, bool)> FromImapAsync(
        ImapLease lease, string path, ServerState server, MessageListQuery query, PageTokens.Token? token, uint uidLimit, int count, CancellationToken ct)
    {
        var client = lease.Client;
        var folder = await ImapMailbox.OpenAsync(lease, path, server.UidValidity, server.CheckedAt, ct);

        var want = count + 1;
        if (query.Order == ListOrder.Arrival && query.Filter.IsEmpty && token is null)
        {
            if (folder.Count == 0)
            {
                return ([], false);
            }

            var first = Math.Max(0, folder.Count - want);
            var fetched = await folder.FetchAsync(first, folder.Count - 1, SummaryFetch.RequestFor(client), ct);
            var newest = ImapMailbox.ToSummaries(fetched).Where(m => m.Uid < uidLimit).OrderByDescending(m => m.Uid).ToList();
            var hasMore = newest.Count > count || first > 0;
            return (newest.Take(count).ToList(), hasMore);
        }

        var candidates = await CandidatesAsync(lease, folder, query, token, uidLimit, ct);
        var items = new List<MessageSummary>(want);
        var position = 0;
        var batch = query.Filter.IsEmpty ? want : Math.Max(want, 100);
        while (items.Count < want && position < candidates.Count)
        {
            var take = candidates.Skip(position).Take(batch).ToList();
            position += take.Count;
            var fetched = (await ImapMailbox.FetchSummariesAsync(client, folder, take, ct)).ToDictionary(m => m.Uid);
            foreach (var uid in take)
            {
                if (fetched.TryGetValue(uid.Id, out var m) && query.Filter.Matches(m, serverMatched: true))
                {
                    items.Add(m);
                    if (items.Count == want)
                    {
                        break;
                    }
                }
            }

            batch = Math.Min(batch * 2, 2000);
        }

        var more = items.Count > count;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return (items, more);
    }

    /// <summary>The UIDs the page is taken from, in listing order, after the token's position.</summary>
    private static async Task<IList<UniqueId>> CandidatesAsync(
        ImapLease lease, IMailFolder folder, MessageListQuery query, PageTokens.Token? token, uint uidLimit, CancellationToken ct)
    {
        var criteria = query.Filter.ToSearchQuery();
        if (query.Order == ListOrder.Arrival)
        {
            var max = Math.Min(uidLimit - 1, token is { } t ? t.After.Uid - 1 : uint.MaxValue);
            if (max == 0)
            {
                return [];
            }

            var found = await folder.SearchAsync(SearchQuery.And(SearchQuery.Uids(ImapMailbox.Range(1, max)), criteria), ct);
            return found.OrderByDescending(u => u.Id).ToList();
        }

        // Date order is computed here, not with IMAP SORT: servers parse odd Date headers differently from the gateway,
        // and a paging pass may switch between IMAP and the cache, so both must use one definition of the order
        // (Date header as SummaryFetch reads it, else INTERNALDATE; newest first, ties by UID ascending).
        var below = SearchQuery.And(SearchQuery.Uids(ImapMailbox.Range(1, Math.Max(1, uidLimit - 1))), criteria);
        // The account is part of the key: Dovecot's UIDVALIDITY is the creation time in seconds, so two accounts' mailboxes
        // of the same name, made in the same second with the same content, have the same state (seen in the tests).
        var memoKey = $"{lease.Account.Key}\n{folder.FullName}\n{folder.UidValidity}\n{folder.UidNext?.Id}\n{folder.HighestModSeq}\n{folder.Count}\n{query.Filter.Canonical()}\n{uidLimit}";
        var ordered = DateOrders.Get(memoKey);
        if (ordered is null)
        {
            var uids = await folder.SearchAsync(below, ct);
            var dated = uids.Count == 0 ? [] : await folder.FetchAsync(uids, DateRequest, ct);
            ordered = dated
                .Where(m => m.UniqueId.IsValid && m.UniqueId.Id < uidLimit)
                .Select(m => (Uid: m.UniqueId.Id, Seconds: (SummaryFetch.ParseDate(m.Headers?[HeaderId.Date]) ?? m.InternalDate ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds()))
                .OrderByDescending(x => x.Seconds).ThenBy(x => x.Uid)
                .ToArray();
            DateOrders.Set(memoKey, ordered);
        }

        IEnumerable<(uint Uid, long Seconds)> rest = ordered;
        if (token is { } after)
        {
            var cursor = after.After.SortDate.ToUnixTimeSeconds();
            rest = ordered.Where(x => x.Seconds < cursor || (x.Seconds == cursor && x.Uid > after.After.Uid));
        }

        return rest.Select(x => new UniqueId(x.Uid)).ToList();
    }

    private static readonly FetchRequest DateRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate)
    {
        Headers = new HeaderSet([HeaderId.Date]),
    };

    /// <summary>Date orders computed for IMAP-answered pages, kept a minute per mailbox state and query, so paging a
    /// cold mailbox by date reads its dates once, not once per page.</summary>
    private static readonly DateOrderMemo DateOrders = new();

    private sealed class DateOrderMemo
    {
        private const int Capacity = 8;
        private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset At, (uint Uid, long Seconds)[] Order)> _entries = new(StringComparer.Ordinal);

        public (uint Uid, long Seconds)[]? Get(string key) =>
            _entries.TryGetValue(key, out var entry) && DateTimeOffset.UtcNow - entry.At < Lifetime ? entry.Order : null;

        public void Set(string key, (uint Uid, long Seconds)[] order)
        {
            if (_entries.Count >= Capacity)
            {
                foreach (var old in _entries.OrderBy(e => e.Value.At).Take(_entries.Count - Capacity + 1).ToList())
                {
                    _entries.TryRemove(old.Key, out _);
                }
            }

            _entries[key] = (DateTimeOffset.UtcNow, order);
        }
    }

    private static string ETag(string state, byte[] binding, MessageListQuery query) =>
        Quote(Hash($"{state}\n{Convert.ToHexString(binding)}\n{query.PageToken}\n{query.PageSize}"));

    private static string ContentETag(string state, byte[] binding, MessageListQuery query, List<MessageSummary> items)
    {
        var text = new StringBuilder(ETag(state, binding, query));
        foreach (var m in items)
        {
            text.Append('\n').Append(m.Uid).Append(' ').Append((int)m.Flags).Append(' ').AppendJoin(',', m.Keywords);
        }

        return Quote(Hash(text.ToString()));
    }

    private static string Hash(string text) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 12));

    private static string Quote(string value) => "\"" + value + "\"";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Header cache unavailable for mailbox {MailboxId}; answering from IMAP")]
    private partial void LogStoreDown(Exception exception, string mailboxId);
}

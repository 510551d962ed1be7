using System.Globalization;
using Gateway.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// <see cref="IMessageCacheStore"/> on Redis. Per mailbox generation (all keys share the hash tag <c>{mailboxId}</c>,
/// and neither user nor mailbox names appear in them):
/// <list type="bullet">
/// <item><c>mc:{m}:uv:s</c> hash: the sync state;</item>
/// <item><c>mc:{m}:uv:u</c> sorted set: score = UID, member = the encoded summary (UIDs are exact doubles);</item>
/// <item><c>mc:{m}:uv:d</c> sorted set, all scores 0: member = sort date + complemented UID, read BYLEX (exact, unlike a
/// combined double score, PITFALLS 17);</item>
/// <item><c>mc:{m}:uv:t</c> sorted set of removed UIDs (score = when), so a slow writer never resurrects a message;</item>
/// <item><c>mc:{m}:gen</c>: the current UIDVALIDITY, to drop older generations.</item>
/// </list>
/// Reads and writes are Lua scripts, so each is one round trip and atomic; keys expire after
/// <see cref="MessageCacheOptions.IdleExpiry"/> without use.
/// </summary>
public sealed class RedisMessageCacheStore(RedisConnection redis, IOptions<MessageCacheOptions> options, CacheMetrics metrics) : IMessageCacheStore
{
    private const string Helpers = """
        local function uidof(m)
          local b1, b2, b3, b4 = string.byte(m, 1, 4)
          return b1 * 16777216 + b2 * 65536 + b3 * 256 + b4
        end
        local function datekey(m)
          local b1, b2, b3, b4 = string.byte(m, 1, 4)
          return string.sub(m, 14, 21) .. string.char(255 - b1, 255 - b2, 255 - b3, 255 - b4)
        end
        local function bytes_gt(a, b)
          if #a ~= #b then return #a > #b end
          for i = 1, #a do
            local x, y = string.byte(a, i), string.byte(b, i)
            if x ~= y then return x > y end
          end
          return false
        end
        local function touch(ttl, ...)
          for _, k in ipairs({...}) do redis.call('PEXPIRE', k, ttl) end
        end
        """;

    // KEYS: s u d | ARGV: order cursor uidLimit count ttl
    private static readonly string ReadScript = Helpers + "\n" + """
        local st = redis.call('HMGET', KEYS[1], 'uv', 'next', 'modseq', 'exists', 'floor', 'cached')
        if not st[1] then return {0} end
        local n = tonumber(ARGV[4])
        local limit = tonumber(ARGV[3])
        local out = {}
        local exhausted = 0
        if n > 0 then
          if ARGV[1] == 'a' then
            local max = limit - 1
            if ARGV[2] ~= '' then
              local c = tonumber(ARGV[2]) - 1
              if c < max then max = c end
            end
            out = redis.call('ZRANGE', KEYS[2], max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, n)
            if #out < n then exhausted = 1 end
          else
            local from = '+'
            if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
            while #out < n do
              local want = n - #out
              local keys = redis.call('ZRANGE', KEYS[3], from, '-', 'BYLEX', 'REV', 'LIMIT', 0, want)
              for _, k in ipairs(keys) do
                local b1, b2, b3, b4 = string.byte(k, 9, 12)
                local uid = (255 - b1) * 16777216 + (255 - b2) * 65536 + (255 - b3) * 256 + (255 - b4)
                if uid < limit then
                  local m = redis.call('ZRANGE', KEYS[2], uid, uid, 'BYSCORE')
                  if m[1] then out[#out + 1] = m[1] end
                end
              end
              if #keys < want then exhausted = 1 break end
              from = '(' .. keys[#keys]
            end
          end
        end
        touch(ARGV[5], KEYS[1], KEYS[2], KEYS[3])
        return {1, st, out, exhausted}
        """;

    // KEYS: s u d t | ARGV: uv ttl now next modseq exists floor nUpserts nRemovals members... uids...
    private static readonly string ApplyScript = Helpers + "\n" + """
        if redis.call('HGET', KEYS[1], 'uv') ~= ARGV[1] then return 0 end
        local now = tonumber(ARGV[3])
        local nu, nr = tonumber(ARGV[8]), tonumber(ARGV[9])
        local i = 10 + nu
        for j = 0, nr - 1 do
          local uid = tonumber(ARGV[i + j])
          local old = redis.call('ZRANGE', KEYS[2], uid, uid, 'BYSCORE')
          if old[1] then
            redis.call('ZREM', KEYS[3], datekey(old[1]))
            redis.call('ZREMRANGEBYSCORE', KEYS[2], uid, uid)
          end
          redis.call('ZADD', KEYS[4], now, uid)
        end
        for j = 10, 9 + nu do
          local m = ARGV[j]
          local uid = uidof(m)
          if not redis.call('ZSCORE', KEYS[4], uid) then
            local old = redis.call('ZRANGE', KEYS[2], uid, uid, 'BYSCORE')
            local write = true
            if old[1] then
              if bytes_gt(string.sub(old[1], 6, 13), string.sub(m, 6, 13)) then
                write = false
              else
                redis.call('ZREM', KEYS[3], datekey(old[1]))
                redis.call('ZREMRANGEBYSCORE', KEYS[2], uid, uid)
              end
            end
            if write then
              redis.call('ZADD', KEYS[2], uid, m)
              redis.call('ZADD', KEYS[3], 0, datekey(m))
            end
          end
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 600000)
        local cur = redis.call('HMGET', KEYS[1], 'next', 'modseq', 'floor')
        if ARGV[4] ~= '' then
          if tonumber(ARGV[4]) > tonumber(cur[1]) then redis.call('HSET', KEYS[1], 'next', ARGV[4]) end
          if not bytes_gt(cur[2], ARGV[5]) then
            redis.call('HSET', KEYS[1], 'modseq', ARGV[5], 'exists', ARGV[6])
          end
        end
        if ARGV[7] ~= '' and tonumber(ARGV[7]) < tonumber(cur[3]) then redis.call('HSET', KEYS[1], 'floor', ARGV[7]) end
        redis.call('HSET', KEYS[1], 'cached', redis.call('ZCARD', KEYS[2]))
        touch(ARGV[2], KEYS[1], KEYS[2], KEYS[3], KEYS[4])
        return 1
        """;

    // KEYS: s gen | ARGV: uv next modseq exists floor ttl
    private const string CreateScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'uv', ARGV[1], 'next', ARGV[2], 'modseq', ARGV[3], 'exists', ARGV[4], 'floor', ARGV[5], 'cached', 0)
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[6])
        return 1
        """;

    // KEYS: u | ARGV: uids...
    private const string GetScript = """
        local out = {}
        for _, uid in ipairs(ARGV) do
          local m = redis.call('ZRANGE', KEYS[1], uid, uid, 'BYSCORE')
          if m[1] then out[#out + 1] = m[1] end
        end
        return out
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // Takes the lease when free, or extends it when the caller holds it. KEYS: f | ARGV: owner ttl
    private const string LeaseScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        if holder then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    private long TtlMs => (long)options.Value.IdleExpiry.TotalMilliseconds;

    public Task<CacheSlice> ReadAsync(MailboxCacheKey key, ListOrder order, ListPosition? after, uint uidLimit, int count, CancellationToken cancellationToken) =>
        redis.RunAsync(async db =>
        {
            RedisValue cursor = after is not { } p ? RedisValue.EmptyString
                : order == ListOrder.Arrival ? p.Uid : SummaryCodec.DateKey(p.SortDate, p.Uid);
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(
                ReadScript,
                [Key(key, "s"), Key(key, "u"), Key(key, "d")],
                [order == ListOrder.Arrival ? "a" : "d", cursor, uidLimit == 0 ? uint.MaxValue : (long)uidLimit, count, TtlMs]))!;
            if ((long)result[0] == 0)
            {
                return new CacheSlice(null, [], true);
            }

            var state = ParseState((RedisResult[])result[1]!);
            var members = (RedisResult[])result[2]!;
            var items = new MessageSummary[members.Length];
            for (var i = 0; i < members.Length; i++)
            {
                items[i] = SummaryCodec.Decode((byte[])members[i]!);
            }

            return new CacheSlice(state, items, (long)result[3] == 1);
        }, cancellationToken);

    public Task<IReadOnlyList<MessageSummary>> GetAsync(MailboxCacheKey key, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken) =>
        redis.RunAsync<IReadOnlyList<MessageSummary>>(async db =>
        {
            if (uids.Count == 0)
            {
                return [];
            }

            var result = (RedisResult[])(await db.ScriptEvaluateAsync(GetScript, [Key(key, "u")], uids.Select(u => (RedisValue)u).ToArray()))!;
            return result.Select(r => SummaryCodec.Decode((byte[])r!)).ToArray();
        }, cancellationToken);

    public Task<IReadOnlyList<uint>> GetUidsAsync(MailboxCacheKey key, CancellationToken cancellationToken) =>
        redis.RunAsync<IReadOnlyList<uint>>(async db =>
        {
            var members = await db.SortedSetRangeByRankAsync(Key(key, "d"));
            var uids = members.Select(m => SummaryCodec.UidOfDateKey((byte[])m!)).ToArray();
            Array.Sort(uids);
            return uids;
        }, cancellationToken);

    public Task<IReadOnlyList<CacheState?>> GetStatesAsync(IReadOnlyList<MailboxCacheKey> keys, CancellationToken cancellationToken) =>
        redis.RunAsync<IReadOnlyList<CacheState?>>(async db =>
        {
            var batch = db.CreateBatch();
            var tasks = keys.Select(k => batch.HashGetAsync(Key(k, "s"), StateFields)).ToArray();
            batch.Execute();
            var values = await Task.WhenAll(tasks);
            return values.Select(v => v[0].IsNull ? null : ParseState(v.Select(x => RedisResult.Create(x)).ToArray())).ToArray();
        }, cancellationToken);

    public Task<bool> CreateAsync(MailboxCacheKey key, CacheState state, CancellationToken cancellationToken) =>
        redis.RunAsync(async db =>
        {
            var generation = await db.StringGetAsync(Generation(key.MailboxId));
            if (!generation.IsNull && (uint)(long)generation != key.UidValidity)
            {
                await DeleteGenerationAsync(db, new MailboxCacheKey(key.MailboxId, (uint)(long)generation));
            }

            var created = (long)(await db.ScriptEvaluateAsync(
                CreateScript,
                [Key(key, "s"), Generation(key.MailboxId)],
                [key.UidValidity, state.UidNext, state.HighestModSeq.ToString(CultureInfo.InvariantCulture), state.Exists, state.FillFloor, TtlMs]))!;
            return created == 1;
        }, cancellationToken);

    public Task<bool> ApplyAsync(MailboxCacheKey key, CacheChange change, CancellationToken cancellationToken) =>
        redis.RunAsync(async db =>
        {
            var args = new RedisValue[9 + change.Upserts.Count + change.Removals.Count];
            args[0] = key.UidValidity;
            args[1] = TtlMs;
            args[2] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            args[3] = change.SyncedTo is { } to ? to.UidNext : RedisValue.EmptyString;
            args[4] = change.SyncedTo is { } m ? m.HighestModSeq.ToString(CultureInfo.InvariantCulture) : RedisValue.EmptyString;
            args[5] = change.SyncedTo is { } e ? e.Exists : RedisValue.EmptyString;
            args[6] = change.FillFloor is { } floor ? floor : RedisValue.EmptyString;
            args[7] = change.Upserts.Count;
            args[8] = change.Removals.Count;
            var i = 9;
            long bytes = 0;
            foreach (var summary in change.Upserts)
            {
                var encoded = SummaryCodec.Encode(summary);
                bytes += encoded.Length;
                args[i++] = encoded;
            }

            metrics.BytesWritten.Add(bytes);

            foreach (var uid in change.Removals)
            {
                args[i++] = uid;
            }

            var applied = (long)(await db.ScriptEvaluateAsync(ApplyScript, [Key(key, "s"), Key(key, "u"), Key(key, "d"), Key(key, "t")], args))!;
            return applied == 1;
        }, cancellationToken);

    public Task DropAsync(string mailboxId, CancellationToken cancellationToken) =>
        redis.RunAsync(async db =>
        {
            var generation = await db.StringGetAsync(Generation(mailboxId));
            if (!generation.IsNull)
            {
                await DeleteGenerationAsync(db, new MailboxCacheKey(mailboxId, (uint)(long)generation));
            }

            await db.KeyDeleteAsync(Generation(mailboxId));
            return true;
        }, cancellationToken);

    public Task<bool> TryLeaseFillAsync(MailboxCacheKey key, string owner, TimeSpan duration, CancellationToken cancellationToken) =>
        redis.RunAsync(async db => (long)(await db.ScriptEvaluateAsync(LeaseScript, [Key(key, "f")], [owner, (long)duration.TotalMilliseconds]))! == 1, cancellationToken);

    public Task ReleaseFillAsync(MailboxCacheKey key, string owner, CancellationToken cancellationToken) =>
        redis.RunAsync(db => db.ScriptEvaluateAsync(ReleaseScript, [Key(key, "f")], [owner]), cancellationToken);

    private static readonly RedisValue[] StateFields = ["uv", "next", "modseq", "exists", "floor", "cached"];

    private static CacheState ParseState(RedisResult[] f) => new(
        (uint)(long)f[0],
        (uint)(long)f[1],
        ulong.Parse((string)f[2]!, CultureInfo.InvariantCulture),
        (long)f[3],
        (uint)(long)f[4],
        f[5].IsNull ? 0 : (long)f[5]);

    private Task<long> DeleteGenerationAsync(IDatabase db, MailboxCacheKey key) =>
        db.KeyDeleteAsync([Key(key, "s"), Key(key, "u"), Key(key, "d"), Key(key, "t"), Key(key, "f")]);

    private RedisKey Key(MailboxCacheKey key, string part) =>
        $"{redis.Prefix}mc:{{{key.MailboxId}}}:{key.UidValidity.ToString(CultureInfo.InvariantCulture)}:{part}";

    private RedisKey Generation(string mailboxId) => $"{redis.Prefix}mc:{{{mailboxId}}}:gen";
}

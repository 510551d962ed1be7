using System.Globalization;
using Gateway.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// <see cref="IMessageCacheStore"/> on Redis. Per mailbox generation (all keys share the hash tag <c>{mailboxId}</c>;
/// neither user nor mailbox names appear in them):
/// <list type="bullet">
/// <item><c>mc:{m}:uv:s</c> hash: the sync state;</item>
/// <item><c>mc:{m}:uv:b</c> hash: field = block id (<c>uid / 64</c>), value = a <see cref="SummaryBlock"/> (the block's
/// summaries compressed together, with a version for compare-and-set);</item>
/// <item><c>mc:{m}:uv:bi</c> sorted set of the block ids that exist (score = id), to page without probing gaps;</item>
/// <item><c>mc:{m}:uv:d</c> sorted set, all scores 0: member = sort date + complemented UID, read BYLEX (exact, unlike a
/// combined double score, PITFALLS 17);</item>
/// <item><c>mc:{m}:uv:t</c> sorted set of removed UIDs (score = when), so a slow writer never resurrects a message;</item>
/// <item><c>mc:{m}:gen</c>: the current UIDVALIDITY, to drop older generations.</item>
/// </list>
/// Reads are one Lua script (one round trip). Writes read the affected blocks, merge in process and write back with a
/// script that applies everything only if no block's version moved meanwhile (else they retry), so they are atomic.
/// Keys expire after <see cref="MessageCacheOptions.IdleExpiry"/> without use.
/// </summary>
public sealed class RedisMessageCacheStore(RedisConnection redis, IOptions<MessageCacheOptions> options, CacheMetrics metrics) : IMessageCacheStore
{
    private const int MaxBlocksPerRead = 16;
    private const int MaxAttempts = 20;

    private const string Touch = """
        local function touch(ttl, ...)
          for _, k in ipairs({...}) do redis.call('PEXPIRE', k, ttl) end
        end
        local function count(blk)
          return string.byte(blk, 5) * 256 + string.byte(blk, 6)
        end
        """;

    // KEYS: s b bi | ARGV: startBlock want ttl
    private const string ReadArrivalScript = Touch + "\n" + """
        local st = redis.call('HMGET', KEYS[1], 'uv', 'next', 'modseq', 'exists', 'floor', 'cached')
        if not st[1] then return {0} end
        local want = tonumber(ARGV[2])
        local out = {}
        local exhausted = 0
        if want > 0 then
          local ids = redis.call('ZRANGE', KEYS[3], ARGV[1], '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 16)
          local acc = 0
          local used = 0
          for _, id in ipairs(ids) do
            local blk = redis.call('HGET', KEYS[2], id)
            used = used + 1
            if blk then
              out[#out + 1] = blk
              acc = acc + count(blk)
              if acc >= want + 64 then break end
            end
          end
          if used == #ids and #ids < 16 then exhausted = 1 end
        end
        touch(ARGV[3], KEYS[1], KEYS[2], KEYS[3])
        return {1, st, out, exhausted}
        """;

    // KEYS: s b d | ARGV: cursor uidLimit want ttl
    private const string ReadDateScript = Touch + "\n" + """
        local st = redis.call('HMGET', KEYS[1], 'uv', 'next', 'modseq', 'exists', 'floor', 'cached')
        if not st[1] then return {0} end
        local n = tonumber(ARGV[3])
        local limit = tonumber(ARGV[2])
        local uids = {}
        local exhausted = 0
        local from = '+'
        if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
        while n > 0 and #uids < n do
          local want = n - #uids
          local keys = redis.call('ZRANGE', KEYS[3], from, '-', 'BYLEX', 'REV', 'LIMIT', 0, want)
          for _, k in ipairs(keys) do
            local b1, b2, b3, b4 = string.byte(k, 9, 12)
            local uid = (255 - b1) * 16777216 + (255 - b2) * 65536 + (255 - b3) * 256 + (255 - b4)
            if uid < limit then uids[#uids + 1] = uid end
          end
          if #keys < want then exhausted = 1 break end
          from = '(' .. keys[#keys]
        end
        local seen = {}
        local blocks = {}
        for _, uid in ipairs(uids) do
          local id = math.floor(uid / 64)
          if not seen[id] then
            seen[id] = true
            local blk = redis.call('HGET', KEYS[2], id)
            if blk then blocks[#blocks + 1] = blk end
          end
        end
        touch(ARGV[4], KEYS[1], KEYS[2], KEYS[3])
        return {1, st, uids, blocks, exhausted}
        """;

    // KEYS: s b t | ARGV: nBlocks blockIds... uidsToCheck...
    private const string ReadForWriteScript = """
        local uv = redis.call('HGET', KEYS[1], 'uv')
        if not uv then return {0} end
        local nb = tonumber(ARGV[1])
        local blocks = {}
        for i = 1, nb do blocks[i] = redis.call('HGET', KEYS[2], ARGV[1 + i]) or '' end
        local tombs = {}
        if redis.call('ZCARD', KEYS[3]) > 0 then
          for i = nb + 2, #ARGV do
            if redis.call('ZSCORE', KEYS[3], ARGV[i]) then tombs[#tombs + 1] = ARGV[i] end
          end
        end
        return {1, blocks, tombs}
        """;

    // KEYS: s b bi d t | ARGV: uv ttl now next modseq exists floor cachedDelta nBlocks nDateDel nDateAdd nTomb
    //                          then nBlocks x (id expectedVersion value), date keys to remove, to add, tombstone UIDs.
    private const string WriteScript = Touch + "\n" + """
        local function gt(a, b)
          if #a ~= #b then return #a > #b end
          for i = 1, #a do
            local x, y = string.byte(a, i), string.byte(b, i)
            if x ~= y then return x > y end
          end
          return false
        end
        if redis.call('HGET', KEYS[1], 'uv') ~= ARGV[1] then return 0 end
        local nb, ndd, nda, nt = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
        local i = 13
        for j = 0, nb - 1 do
          local cur = redis.call('HGET', KEYS[2], ARGV[i + 3 * j])
          local v = 0
          if cur then
            local a, b, c, d = string.byte(cur, 1, 4)
            v = a * 16777216 + b * 65536 + c * 256 + d
          end
          if v ~= tonumber(ARGV[i + 3 * j + 1]) then return -1 end
        end
        for j = 0, nb - 1 do
          local id, value = ARGV[i + 3 * j], ARGV[i + 3 * j + 2]
          if value == '' then
            redis.call('HDEL', KEYS[2], id)
            redis.call('ZREM', KEYS[3], id)
          else
            redis.call('HSET', KEYS[2], id, value)
            redis.call('ZADD', KEYS[3], id, id)
          end
        end
        i = i + 3 * nb
        for _ = 1, ndd do redis.call('ZREM', KEYS[4], ARGV[i]) i = i + 1 end
        local batch = {}
        for _ = 1, nda do
          batch[#batch + 1] = 0
          batch[#batch + 1] = ARGV[i]
          i = i + 1
          if #batch == 1000 then redis.call('ZADD', KEYS[4], unpack(batch)) batch = {} end
        end
        if #batch > 0 then redis.call('ZADD', KEYS[4], unpack(batch)) end
        local now = tonumber(ARGV[3])
        for _ = 1, nt do redis.call('ZADD', KEYS[5], now, ARGV[i]) i = i + 1 end
        redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 600000)
        local cur = redis.call('HMGET', KEYS[1], 'next', 'modseq', 'floor')
        if ARGV[4] ~= '' then
          if tonumber(ARGV[4]) > tonumber(cur[1]) then redis.call('HSET', KEYS[1], 'next', ARGV[4]) end
          if not gt(cur[2], ARGV[5]) then redis.call('HSET', KEYS[1], 'modseq', ARGV[5], 'exists', ARGV[6]) end
        end
        if ARGV[7] ~= '' and tonumber(ARGV[7]) < tonumber(cur[3]) then redis.call('HSET', KEYS[1], 'floor', ARGV[7]) end
        if ARGV[8] ~= '0' then redis.call('HINCRBY', KEYS[1], 'cached', ARGV[8]) end
        touch(ARGV[2], KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
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

    private static readonly RedisValue[] StateFields = ["uv", "next", "modseq", "exists", "floor", "cached"];

    private long TtlMs => (long)options.Value.IdleExpiry.TotalMilliseconds;

    public Task<CacheSlice> ReadAsync(MailboxCacheKey key, ListOrder order, ListPosition? after, uint uidLimit, int count, CancellationToken cancellationToken) =>
        redis.RunAsync(db => order == ListOrder.Arrival
            ? ReadArrivalAsync(db, key, after, uidLimit, count)
            : ReadDateAsync(db, key, after, uidLimit, count), cancellationToken);

    private async Task<CacheSlice> ReadArrivalAsync(IDatabase db, MailboxCacheKey key, ListPosition? after, uint uidLimit, int count)
    {
        // Exclusive upper bound: below the cursor and below the snapshot limit.
        var below = Math.Min(uidLimit == 0 ? uint.MaxValue : uidLimit, after?.Uid ?? uint.MaxValue);
        var items = new List<MessageSummary>(Math.Max(0, count));
        CacheState? state = null;
        while (true)
        {
            var startBlock = below == 0 ? -1 : (long)SummaryBlock.IdOf(below - 1);
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(
                ReadArrivalScript,
                [Key(key, "s"), Key(key, "b"), Key(key, "bi")],
                [startBlock < 0 ? "-inf" : startBlock, count - items.Count, TtlMs]))!;
            if ((long)result[0] == 0)
            {
                return new CacheSlice(null, [], true);
            }

            state ??= ParseState((RedisResult[])result[1]!);
            var blocks = (RedisResult[])result[2]!;
            var exhausted = (long)result[3] == 1;
            uint lowestBlock = uint.MaxValue;
            foreach (var blockValue in blocks)
            {
                var entries = SummaryBlock.Decode((byte[])blockValue!);
                for (var i = entries.Count - 1; i >= 0 && items.Count < count; i--)
                {
                    var uid = SummaryCodec.UidOf(entries[i]);
                    if (uid < below)
                    {
                        items.Add(SummaryCodec.Decode(entries[i]));
                    }
                }

                if (entries.Count > 0)
                {
                    lowestBlock = Math.Min(lowestBlock, SummaryBlock.IdOf(SummaryCodec.UidOf(entries[0])));
                }
            }

            if (items.Count >= count || exhausted || count <= 0)
            {
                return new CacheSlice(state, items, items.Count < count);
            }

            // Not enough yet: continue below the lowest block read.
            if (lowestBlock == 0 || lowestBlock == uint.MaxValue)
            {
                return new CacheSlice(state, items, true);
            }

            below = lowestBlock * SummaryBlock.Size;
        }
    }

    private async Task<CacheSlice> ReadDateAsync(IDatabase db, MailboxCacheKey key, ListPosition? after, uint uidLimit, int count)
    {
        RedisValue cursor = after is { } p ? SummaryCodec.DateKey(p.SortDate, p.Uid) : RedisValue.EmptyString;
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(
            ReadDateScript,
            [Key(key, "s"), Key(key, "b"), Key(key, "d")],
            [cursor, uidLimit == 0 ? uint.MaxValue : (long)uidLimit, count, TtlMs]))!;
        if ((long)result[0] == 0)
        {
            return new CacheSlice(null, [], true);
        }

        var state = ParseState((RedisResult[])result[1]!);
        var uids = ((RedisResult[])result[2]!).Select(r => (uint)(long)r).ToArray();
        var byUid = new Dictionary<uint, byte[]>();
        foreach (var blockValue in (RedisResult[])result[3]!)
        {
            foreach (var entry in SummaryBlock.Decode((byte[])blockValue!))
            {
                byUid[SummaryCodec.UidOf(entry)] = entry;
            }
        }

        var items = new List<MessageSummary>(uids.Length);
        foreach (var uid in uids)
        {
            if (byUid.TryGetValue(uid, out var entry))
            {
                items.Add(SummaryCodec.Decode(entry));
            }
        }

        return new CacheSlice(state, items, (long)result[4] == 1);
    }

    public Task<IReadOnlyList<MessageSummary>> GetAsync(MailboxCacheKey key, IReadOnlyCollection<uint> uids, CancellationToken cancellationToken) =>
        redis.RunAsync<IReadOnlyList<MessageSummary>>(async db =>
        {
            if (uids.Count == 0)
            {
                return [];
            }

            var wanted = uids.ToHashSet();
            var blockIds = wanted.Select(SummaryBlock.IdOf).Distinct().Select(id => (RedisValue)id).ToArray();
            var blocks = await db.HashGetAsync(Key(key, "b"), blockIds);
            var result = new List<MessageSummary>(wanted.Count);
            foreach (var block in blocks.Where(b => !b.IsNull))
            {
                foreach (var entry in SummaryBlock.Decode((byte[])block!))
                {
                    if (wanted.Contains(SummaryCodec.UidOf(entry)))
                    {
                        result.Add(SummaryCodec.Decode(entry));
                    }
                }
            }

            return result;
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
            var encoded = change.Upserts.Select(SummaryCodec.Encode).ToArray();
            var blockIds = encoded.Select(e => SummaryBlock.IdOf(SummaryCodec.UidOf(e))).Concat(change.Removals.Select(SummaryBlock.IdOf))
                .Distinct().Order().ToArray();
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var read = (RedisResult[])(await db.ScriptEvaluateAsync(
                    ReadForWriteScript,
                    [Key(key, "s"), Key(key, "b"), Key(key, "t")],
                    [blockIds.Length, .. blockIds.Select(id => (RedisValue)id), .. change.Upserts.Select(u => (RedisValue)u.Uid)]))!;
                if ((long)read[0] == 0)
                {
                    return false;
                }

                var merge = Merge(blockIds, (RedisResult[])read[1]!, ((RedisResult[])read[2]!).Select(r => (uint)(long)r).ToHashSet(), encoded, change.Removals);
                var args = new List<RedisValue>(16 + merge.Blocks.Count * 3 + merge.DateRemovals.Count + merge.DateAdditions.Count + change.Removals.Count)
                {
                    key.UidValidity,
                    TtlMs,
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    change.SyncedTo is { } to ? to.UidNext : RedisValue.EmptyString,
                    change.SyncedTo is { } m ? m.HighestModSeq.ToString(CultureInfo.InvariantCulture) : RedisValue.EmptyString,
                    change.SyncedTo is { } e ? e.Exists : RedisValue.EmptyString,
                    change.FillFloor is { } floor ? floor : RedisValue.EmptyString,
                    merge.CachedDelta,
                    merge.Blocks.Count,
                    merge.DateRemovals.Count,
                    merge.DateAdditions.Count,
                    change.Removals.Count,
                };
                foreach (var (id, expected, value) in merge.Blocks)
                {
                    args.Add(id);
                    args.Add(expected);
                    args.Add(value is null ? RedisValue.EmptyString : (RedisValue)value);
                }

                args.AddRange(merge.DateRemovals.Select(k => (RedisValue)k));
                args.AddRange(merge.DateAdditions.Select(k => (RedisValue)k));
                args.AddRange(change.Removals.Select(u => (RedisValue)u));
                var written = (long)(await db.ScriptEvaluateAsync(
                    WriteScript,
                    [Key(key, "s"), Key(key, "b"), Key(key, "bi"), Key(key, "d"), Key(key, "t")],
                    [.. args]))!;
                if (written == -1)
                {
                    continue; // a block moved under us: merge again
                }

                metrics.BytesWritten.Add(merge.Blocks.Sum(b => b.Value?.Length ?? 0));
                return written == 1;
            }

            throw new StoreUnavailableException($"Cache writes to mailbox {key.MailboxId} kept conflicting.");
        }, cancellationToken);

    private sealed record MergeResult(List<(uint Id, uint Expected, byte[]? Value)> Blocks, List<byte[]> DateRemovals, List<byte[]> DateAdditions, long CachedDelta);

    /// <summary>Applies removals and upserts to the blocks as read; only blocks that changed are written back.</summary>
    private static MergeResult Merge(uint[] blockIds, RedisResult[] blockValues, HashSet<uint> tombstoned, byte[][] upserts, IReadOnlyList<uint> removals)
    {
        var blocks = new Dictionary<uint, (uint Version, SortedDictionary<uint, byte[]> Entries, bool Changed)>();
        for (var i = 0; i < blockIds.Length; i++)
        {
            var raw = (byte[]?)blockValues[i];
            var entries = new SortedDictionary<uint, byte[]>();
            uint version = 0;
            if (raw is { Length: > 0 })
            {
                version = SummaryBlock.VersionOf(raw);
                foreach (var entry in SummaryBlock.Decode(raw))
                {
                    entries[SummaryCodec.UidOf(entry)] = entry;
                }
            }

            blocks[blockIds[i]] = (version, entries, false);
        }

        var dateRemovals = new List<byte[]>();
        var dateAdditions = new List<byte[]>();
        long delta = 0;
        foreach (var uid in removals)
        {
            var block = blocks[SummaryBlock.IdOf(uid)];
            if (block.Entries.Remove(uid, out var old))
            {
                dateRemovals.Add(SummaryCodec.DateKeyOf(old));
                delta--;
                blocks[SummaryBlock.IdOf(uid)] = block with { Changed = true };
            }
        }

        var removed = removals.ToHashSet();
        foreach (var entry in upserts)
        {
            var uid = SummaryCodec.UidOf(entry);
            if (tombstoned.Contains(uid) || removed.Contains(uid))
            {
                continue;
            }

            var block = blocks[SummaryBlock.IdOf(uid)];
            if (block.Entries.TryGetValue(uid, out var old))
            {
                if (SummaryCodec.ModSeqOf(old) > SummaryCodec.ModSeqOf(entry) || old.AsSpan().SequenceEqual(entry))
                {
                    continue;
                }

                var oldKey = SummaryCodec.DateKeyOf(old);
                var newKey = SummaryCodec.DateKeyOf(entry);
                if (!oldKey.AsSpan().SequenceEqual(newKey))
                {
                    dateRemovals.Add(oldKey);
                    dateAdditions.Add(newKey);
                }
            }
            else
            {
                dateAdditions.Add(SummaryCodec.DateKeyOf(entry));
                delta++;
            }

            block.Entries[uid] = entry;
            blocks[SummaryBlock.IdOf(uid)] = block with { Changed = true };
        }

        var writes = blocks
            .Where(b => b.Value.Changed)
            .Select(b => (b.Key, b.Value.Version, b.Value.Entries.Count == 0 ? null : SummaryBlock.Encode(b.Value.Version + 1, b.Value.Entries.Values)))
            .ToList();
        return new MergeResult(writes, dateRemovals, dateAdditions, delta);
    }

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

    private static CacheState ParseState(RedisResult[] f) => new(
        (uint)(long)f[0],
        (uint)(long)f[1],
        ulong.Parse((string)f[2]!, CultureInfo.InvariantCulture),
        (long)f[3],
        (uint)(long)f[4],
        f[5].IsNull ? 0 : (long)f[5]);

    private Task<long> DeleteGenerationAsync(IDatabase db, MailboxCacheKey key) =>
        db.KeyDeleteAsync([Key(key, "s"), Key(key, "b"), Key(key, "bi"), Key(key, "d"), Key(key, "t"), Key(key, "f")]);

    private RedisKey Key(MailboxCacheKey key, string part) =>
        $"{redis.Prefix}mc:{{{key.MailboxId}}}:{key.UidValidity.ToString(CultureInfo.InvariantCulture)}:{part}";

    private RedisKey Generation(string mailboxId) => $"{redis.Prefix}mc:{{{mailboxId}}}:gen";
}

using System.Collections.Concurrent;
using Gateway.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Mailbox states vouched for by a push watcher, shared by every instance: while a vouch lasts, a listing takes the
/// state from here and skips its IMAP freshness check. Nothing vouches unless a watcher runs for the account.
/// </summary>
/// <remarks>
/// <para>Per mailbox the store keeps a write epoch and, while vouched, a state. A write through the gateway bumps the
/// epoch and drops the state after its IMAP command and before it answers (<see cref="ForgetAsync"/>). A watcher reads
/// the epochs before it reads the server's states and vouches only where the epoch has not moved meanwhile
/// (compare-and-set), so a state read before a write can never be vouched after it: read-your-writes holds on every
/// instance. Changes by other IMAP clients are vouched away when the watcher hears of them (NOTIFY, about half a
/// second). A vouch lives <see cref="VouchLifetime"/> unless the watcher renews it after proving its connection alive,
/// so a watcher that dies stops vouching within that time.</para>
/// <para>Redis when configured (a hash per mailbox: <c>fresh:&lt;mailboxId&gt;</c> with fields <c>e</c> and
/// <c>s</c>), else in process. When Redis fails, nothing is vouched and listings check with IMAP.</para>
/// </remarks>
public sealed class MailboxFreshness
{
    /// <summary>How long a vouch lasts unless renewed.</summary>
    public static readonly TimeSpan VouchLifetime = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan EpochLifetime = TimeSpan.FromDays(1);

    /// <summary>How long an instance remembers that a mailbox is not vouched (so listings without a watcher do not
    /// ask the store each time); a new vouch is seen after at most this long.</summary>
    private static readonly TimeSpan MissMemory = TimeSpan.FromSeconds(1);

    // KEYS: fresh hashes; ARGV[1] ttl ms, then per key: epoch, state.
    private const string VouchScript = """
        local n = 0
        for i, key in ipairs(KEYS) do
          local e = redis.call('HGET', key, 'e') or '0'
          if e == ARGV[2 * i] then
            redis.call('HSET', key, 's', ARGV[2 * i + 1])
            redis.call('PEXPIRE', key, ARGV[1])
            n = n + 1
          end
        end
        return n
        """;

    private const string ForgetScript = """
        redis.call('HINCRBY', KEYS[1], 'e', 1)
        redis.call('HDEL', KEYS[1], 's')
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    private const string RenewScript = """
        for i, key in ipairs(KEYS) do
          if redis.call('HEXISTS', key, 's') == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
        end
        return 1
        """;

    private const string WithdrawScript = """
        for i, key in ipairs(KEYS) do redis.call('HDEL', key, 's') end
        return 1
        """;

    private readonly RedisConnection _redis;
    private readonly bool _useRedis;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _local = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _misses = new(StringComparer.Ordinal);

    public MailboxFreshness(RedisConnection redis, IOptions<RedisOptions> options, TimeProvider time)
    {
        _redis = redis;
        _useRedis = options.Value.Enabled;
        _time = time;
    }

    /// <summary>The vouched state of <paramref name="mailboxId"/>, or null (then check with the server).</summary>
    public async Task<ServerState?> TryGetAsync(string mailboxId, CancellationToken cancellationToken)
    {
        if (!_useRedis)
        {
            return _local.TryGetValue(mailboxId, out var entry) && entry.State is { } state && entry.Until > _time.GetUtcNow()
                ? state with { CheckedAt = System.Diagnostics.Stopwatch.GetTimestamp() }
                : null;
        }

        // "Not vouched" may be remembered briefly (the caller then checks with IMAP, which is always right); "vouched"
        // never is, since a write on another instance withdraws it in the store only.
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_misses.TryGetValue(mailboxId, out var until) && until > now)
        {
            return null;
        }

        try
        {
            var token = (string?)await _redis.RunAsync(db => db.HashGetAsync(Key(mailboxId), "s"), cancellationToken);
            if (token is not null && MailboxStates.TryDecode(token, out var s))
            {
                return new ServerState(s.UidValidity, s.UidNext, s.HighestModSeq, s.Exists, now);
            }
        }
        catch (StoreUnavailableException)
        {
        }

        _misses[mailboxId] = now + (long)(MissMemory.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        if (_misses.Count > 100_000)
        {
            _misses.Clear();
        }

        return null;
    }

    /// <summary>Withdraws any vouch of <paramref name="mailboxId"/> and makes vouches read before now impossible to
    /// set: call it after a write's IMAP command and before answering.</summary>
    public async Task ForgetAsync(string mailboxId, CancellationToken cancellationToken)
    {
        if (!_useRedis)
        {
            _local.AddOrUpdate(mailboxId, _ => new Entry(1, null, default), (_, old) => new Entry(old.Epoch + 1, null, default));
            return;
        }

        try
        {
            await _redis.RunAsync(db => db.ScriptEvaluateAsync(ForgetScript, [Key(mailboxId)], [(long)EpochLifetime.TotalMilliseconds]), cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // Nothing can be vouched while Redis fails either; a vouch set before expires within VouchLifetime.
        }
    }

    /// <summary>The write epochs of <paramref name="mailboxIds"/>, read by a watcher before it reads the server.</summary>
    public async Task<IReadOnlyList<long>> EpochsAsync(IReadOnlyList<string> mailboxIds, CancellationToken cancellationToken)
    {
        if (!_useRedis)
        {
            return mailboxIds.Select(id => _local.TryGetValue(id, out var e) ? e.Epoch : 0).ToArray();
        }

        var values = await _redis.RunAsync(async db =>
        {
            var batch = mailboxIds.Select(id => db.HashGetAsync(Key(id), "e")).ToArray();
            return await Task.WhenAll(batch);
        }, cancellationToken);
        return values.Select(v => v.IsNull ? 0L : (long)v).ToArray();
    }

    /// <summary>Vouches each state whose mailbox's epoch is still the one read before; returns how many were set.</summary>
    public async Task<int> VouchAsync(IReadOnlyList<(string MailboxId, long Epoch, ServerState State)> vouches, CancellationToken cancellationToken)
    {
        if (vouches.Count == 0)
        {
            return 0;
        }

        if (!_useRedis)
        {
            var until = _time.GetUtcNow() + VouchLifetime;
            var set = 0;
            foreach (var (id, epoch, state) in vouches)
            {
                var entry = _local.GetOrAdd(id, _ => new Entry(0, null, default));
                if (entry.Epoch == epoch && _local.TryUpdate(id, new Entry(epoch, state, until), entry))
                {
                    set++;
                }
            }

            return set;
        }

        var args = new List<RedisValue> { (long)VouchLifetime.TotalMilliseconds };
        foreach (var (_, epoch, state) in vouches)
        {
            args.Add(epoch.ToString(System.Globalization.CultureInfo.InvariantCulture));
            args.Add(state.Token);
        }

        var result = await _redis.RunAsync(db => db.ScriptEvaluateAsync(VouchScript, vouches.Select(v => (RedisKey)Key(v.MailboxId)).ToArray(), args.ToArray()), cancellationToken);
        return (int)result;
    }

    /// <summary>Extends the vouches of <paramref name="mailboxIds"/> (the watcher just proved its connection alive and
    /// heard of no change).</summary>
    public async Task RenewAsync(IReadOnlyList<string> mailboxIds, CancellationToken cancellationToken)
    {
        if (!_useRedis)
        {
            var until = _time.GetUtcNow() + VouchLifetime;
            foreach (var id in mailboxIds)
            {
                if (_local.TryGetValue(id, out var entry) && entry.State is not null)
                {
                    _local.TryUpdate(id, entry with { Until = until }, entry);
                }
            }

            return;
        }

        await _redis.RunAsync(db => db.ScriptEvaluateAsync(RenewScript, mailboxIds.Select(id => (RedisKey)Key(id)).ToArray(), [(long)VouchLifetime.TotalMilliseconds]), cancellationToken);
    }

    /// <summary>Withdraws the vouches of <paramref name="mailboxIds"/> (the watcher stops or lost its connection).</summary>
    public async Task WithdrawAsync(IReadOnlyList<string> mailboxIds, CancellationToken cancellationToken)
    {
        if (!_useRedis)
        {
            foreach (var id in mailboxIds)
            {
                if (_local.TryGetValue(id, out var entry))
                {
                    _local.TryUpdate(id, entry with { State = null }, entry);
                }
            }

            return;
        }

        if (mailboxIds.Count > 0)
        {
            await _redis.RunAsync(db => db.ScriptEvaluateAsync(WithdrawScript, mailboxIds.Select(id => (RedisKey)Key(id)).ToArray()), cancellationToken);
        }
    }

    private string Key(string mailboxId) => $"{_redis.Prefix}fresh:{mailboxId}";

    private sealed record Entry(long Epoch, ServerState? State, DateTimeOffset Until);
}

using StackExchange.Redis;

namespace Gateway.Core.Storage;

/// <summary><see cref="IKeyValueStore"/> on Redis; every call is bounded by <see cref="RedisOptions.OperationTimeout"/>.</summary>
public sealed class RedisKeyValueStore(RedisConnection redis) : IKeyValueStore
{
    public bool IsDistributed => true;

    public Task<byte[]?> GetAsync(string key, TimeSpan? slideTo, CancellationToken cancellationToken) =>
        RunAsync(async db =>
        {
            var value = slideTo is { } ttl
                ? await db.StringGetSetExpiryAsync(Key(key), ttl)
                : await db.StringGetAsync(Key(key));
            return value.IsNull ? null : (byte[]?)value;
        }, cancellationToken);

    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        RunAsync(db => db.StringSetAsync(Key(key), value, timeToLive), cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(db => db.KeyDeleteAsync(Key(key)), cancellationToken);

    public Task<(long Value, TimeSpan TimeToLive)> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        RunAsync(async db =>
        {
            // INCR, then set the expiry only when this call created the counter (NX), in one round trip.
            var result = (RedisResult[]?)await db.ScriptEvaluateAsync(
                "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return {n, redis.call('PTTL', KEYS[1])}",
                [Key(key)],
                [(long)timeToLive.TotalMilliseconds]);
            return ((long)result![0], TimeSpan.FromMilliseconds(Math.Max(0, (long)result[1])));
        }, cancellationToken);

    public Task<(long Value, TimeSpan TimeToLive)> GetCounterAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async db =>
        {
            var value = await db.StringGetAsync(Key(key));
            if (value.IsNull)
            {
                return (0L, TimeSpan.Zero);
            }

            var ttl = await db.KeyTimeToLiveAsync(Key(key));
            return ((long)value, ttl ?? TimeSpan.Zero);
        }, cancellationToken);

    public Task<bool> TryLeaseAsync(string key, string owner, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        RunAsync(async db => (bool)await db.ScriptEvaluateAsync(
            "local v = redis.call('GET', KEYS[1]) if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0",
            [Key(key)],
            [owner, (long)timeToLive.TotalMilliseconds]), cancellationToken);

    public Task ReleaseLeaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        RunAsync(db => db.ScriptEvaluateAsync(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
            [Key(key)],
            [owner]), cancellationToken);

    private RedisKey Key(string key) => redis.Prefix + key;

    private Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken) =>
        redis.RunAsync(operation, cancellationToken);

    private async Task RunAsync(Func<IDatabase, Task> operation, CancellationToken cancellationToken) =>
        await RunAsync(async db =>
        {
            await operation(db);
            return true;
        }, cancellationToken);
}

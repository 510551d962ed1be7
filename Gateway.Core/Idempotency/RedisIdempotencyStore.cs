using Gateway.Core.Storage;
using StackExchange.Redis;

namespace Gateway.Core.Idempotency;

/// <summary><see cref="IIdempotencyStore"/> on Redis: SET NX, and Lua scripts for compare-and-set and -delete.</summary>
public sealed class RedisIdempotencyStore(RedisConnection redis) : IIdempotencyStore
{
    private const string ReplaceScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";

    private const string DeleteScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0";

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        redis.RunAsync(async db =>
        {
            var value = await db.StringGetAsync(Key(key));
            return value.IsNull ? null : (byte[]?)value;
        }, cancellationToken);

    public Task<bool> TryAddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        redis.RunAsync(db => db.StringSetAsync(Key(key), value, timeToLive, When.NotExists), cancellationToken);

    public Task<bool> TryReplaceAsync(string key, byte[] expected, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        redis.RunAsync(async db => (long)await db.ScriptEvaluateAsync(ReplaceScript, [Key(key)], [expected, value, (long)timeToLive.TotalMilliseconds]) == 1, cancellationToken);

    public Task<bool> TryDeleteAsync(string key, byte[] expected, CancellationToken cancellationToken) =>
        redis.RunAsync(async db => (long)await db.ScriptEvaluateAsync(DeleteScript, [Key(key)], [expected]) == 1, cancellationToken);

    private RedisKey Key(string key) => redis.Prefix + key;
}

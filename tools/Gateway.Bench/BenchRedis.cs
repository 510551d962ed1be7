using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Bench;

/// <summary>Direct access to the gateway's Redis: the bench mailbox's cache keys, memory figures, the baseline bytes.</summary>
internal sealed class BenchRedis(ConnectionMultiplexer mux, string prefix) : IAsyncDisposable
{
    private IDatabase Db => mux.GetDatabase();

    private IServer Server => mux.GetServers()[0];

    public static async Task<BenchRedis> ConnectAsync(BenchSettings settings)
    {
        var options = ConfigurationOptions.Parse(settings.Redis);
        options.AllowAdmin = true; // INFO memory
        return new(await ConnectionMultiplexer.ConnectAsync(options), settings.KeyPrefix);
    }

    private string MailboxPattern(string mailboxId) => $"{prefix}mc:{{{mailboxId}}}:*";

    private RedisKey StateKey(string mailboxId, long uidValidity) =>
        $"{prefix}mc:{{{mailboxId}}}:{uidValidity.ToString(CultureInfo.InvariantCulture)}:s";

    /// <summary>Every key of the mailbox's header cache (all generations).</summary>
    public async Task<RedisKey[]> MailboxKeysAsync(string mailboxId)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in Server.KeysAsync(pattern: MailboxPattern(mailboxId)))
        {
            keys.Add(key);
        }

        return [.. keys];
    }

    /// <summary>Drops the mailbox's header cache (only its keys): the next listing is cold.</summary>
    public async Task DropMailboxCacheAsync(string mailboxId)
    {
        var keys = await MailboxKeysAsync(mailboxId);
        if (keys.Length > 0)
        {
            await Db.KeyDeleteAsync(keys);
        }
    }

    /// <summary>The cache state hash: null while there is none; else the fill floor (1 = complete) and the count.</summary>
    public async Task<(uint Floor, long Cached)?> GetFillAsync(string mailboxId, long uidValidity)
    {
        var values = await Db.HashGetAsync(StateKey(mailboxId, uidValidity), ["floor", "cached"]);
        if (values[0].IsNull)
        {
            return null;
        }

        return ((uint)(long)values[0], values[1].IsNull ? 0 : (long)values[1]);
    }

    /// <summary><c>used_memory</c> of INFO memory.</summary>
    public async Task<long> UsedMemoryAsync()
    {
        var info = await Server.InfoAsync("memory");
        foreach (var group in info)
        {
            foreach (var pair in group)
            {
                if (pair.Key == "used_memory")
                {
                    return long.Parse(pair.Value, CultureInfo.InvariantCulture);
                }
            }
        }

        throw new InvalidOperationException("INFO memory has no used_memory.");
    }

    /// <summary>Sum of <c>MEMORY USAGE</c> over the mailbox's cache keys.</summary>
    public async Task<long> MailboxMemoryUsageAsync(string mailboxId)
    {
        long total = 0;
        foreach (var key in await MailboxKeysAsync(mailboxId))
        {
            var usage = await Db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
            total += usage.IsNull ? 0 : (long)usage;
        }

        return total;
    }

    /// <summary>Stores the bytes the baseline endpoint serves (<c>GET /bench/baseline/{name}</c>).</summary>
    public Task SetBaselineAsync(string name, byte[] bytes) => Db.StringSetAsync(prefix + "bench:" + name, bytes);

    public ValueTask DisposeAsync() => mux.DisposeAsync();
}

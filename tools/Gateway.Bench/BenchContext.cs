using System.Diagnostics;
using System.Globalization;

namespace Gateway.Bench;

/// <summary>What every scenario of a phase shares: settings, the gateway client, Redis, the results, the mailbox.</summary>
internal sealed class BenchContext(BenchSettings settings, GatewayClient gateway, BenchRedis redis, PhaseResults results)
{
    public const int PageSize = 50;

    public BenchSettings Settings => settings;

    public GatewayClient Gateway => gateway;

    public BenchRedis Redis => redis;

    public PhaseResults Results => results;

    public MailboxState Mailbox { get; set; } = new(string.Empty, 0, 0, "unknown", 0);

    /// <summary>False in the phase that runs the gateway with <c>Cache:Enabled=false</c>.</summary>
    public bool CacheEnabled { get; set; } = true;

    public static void Log(string text) => Console.Error.WriteLine("bench: " + text);

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Logs in, finds the bench mailbox (INBOX) and checks it is the big one.</summary>
    public async Task SetUpAsync(CancellationToken ct)
    {
        await gateway.LoginAsync(ct);
        Mailbox = await gateway.GetMailboxAsync("inbox", ct);
        Log($"{settings.User} INBOX: {Mailbox.Total} messages, cache {Mailbox.CacheStatus} ({Mailbox.CachedMessages})");
        if (Mailbox.Total < 100_000)
        {
            throw new InvalidOperationException($"The bench mailbox holds {Mailbox.Total} messages; seed 100,000 first (bench/run.sh does).");
        }
    }

    /// <summary>Puts the account's pool in the state after an idle timeout: every connection closed, one new one logged
    /// in with nothing selected. A listing in between takes in any change the cache has not seen yet, so the next
    /// listing does not refresh (which would select the mailbox on its connection).</summary>
    public async Task FreshPoolAsync(CancellationToken ct)
    {
        await gateway.EvictAsync(ct);
        await gateway.LoginAsync(ct);
        await gateway.GetPageBytesAsync(Mailbox.Id, PageSize, ct);
        await gateway.EvictAsync(ct);
        await gateway.LoginAsync(ct);
    }

    /// <summary>Ends any background fill of the bench mailbox and waits until the account's connections are all idle:
    /// dropping the cache state makes the fill's next write fail, which ends it.</summary>
    public async Task StopFillAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await redis.DropMailboxCacheAsync(Mailbox.Id);
            await Task.Delay(200, ct);
            var pool = await gateway.GetPoolAsync(ct);
            if (pool.LeasedConnections == 0 && await redis.GetFillAsync(Mailbox.Id, Mailbox.UidValidity) is null)
            {
                return;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("A background fill did not stop within 60 s.");
            }
        }
    }

    /// <summary>Waits until the header cache of the bench mailbox is complete (a fill started earlier is running).</summary>
    public async Task<(double Seconds, long Cached)> WaitForCompleteFillAsync(Stopwatch since, TimeSpan timeout, CancellationToken ct)
    {
        while (true)
        {
            var fill = await redis.GetFillAsync(Mailbox.Id, Mailbox.UidValidity);
            if (fill is { Floor: <= 1 } done)
            {
                return (since.Elapsed.TotalSeconds, done.Cached);
            }

            if (since.Elapsed > timeout)
            {
                throw new TimeoutException($"The fill did not complete within {timeout.TotalSeconds} s (now {fill?.Cached ?? 0} cached).");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>Makes sure the bench mailbox is fully cached (starting a fill if needed).</summary>
    public async Task EnsureCompleteAsync(CancellationToken ct)
    {
        var fill = await redis.GetFillAsync(Mailbox.Id, Mailbox.UidValidity);
        if (fill is { Floor: <= 1 })
        {
            return;
        }

        Log("the header cache is not complete; listing once to start the fill and waiting for it");
        await gateway.GetPageBytesAsync(Mailbox.Id, PageSize, ct);
        await WaitForCompleteFillAsync(Stopwatch.StartNew(), TimeSpan.FromMinutes(3), ct);
    }

    /// <summary>Logs the gateway's memory after a scenario and keeps it as a note (where the peak comes from).</summary>
    public void MemoryCheckpoint(string after)
    {
        if (GatewayMemory() is { } memory)
        {
            var text = $"after {after}: peak {F(memory.PeakMb, "0")} MB, now {F(memory.CurrentMb, "0")} MB";
            results.Notes["B6.rss." + results.Phase] = results.Notes.TryGetValue("B6.rss." + results.Phase, out var old) ? old + "; " + text : text;
            Log("gateway RSS " + text);
        }
    }

    /// <summary>Peak and current resident set of the gateway process (from /proc), in MB.</summary>
    public (double PeakMb, double CurrentMb)? GatewayMemory()
    {
        if (settings.GatewayPid <= 0)
        {
            return null;
        }

        var path = $"/proc/{settings.GatewayPid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(path))
        {
            return null;
        }

        double peak = 0, current = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kb(line) / 1024;
            }
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                current = Kb(line) / 1024;
            }
        }

        return (peak, current);

        static double Kb(string line) =>
            double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}

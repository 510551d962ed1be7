using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>B2: the first page of the 100k mailbox with nothing cached, on a fresh pooled connection (logged in,
/// nothing selected), against plain MailKit sending the same commands on a connection in the same state.</summary>
internal static class ColdPageBench
{
    public static async Task RunAsync(BenchContext context, CancellationToken ct, string key = "B2")
    {
        var reps = context.Settings.ColdRepetitions;
        for (var rep = -1; rep < reps; rep++)
        {
            // Rep -1 warms both sides up (JIT, Dovecot's caches) and is not recorded.
            var gateway = await GatewayOnceAsync(context, ct);
            var baseline = await BaselineOnceAsync(context, ct);
            if (rep >= 0)
            {
                context.Results.Add(key + ".gateway.ms", gateway);
                context.Results.Add(key + ".baseline.ms", baseline);
            }

            BenchContext.Log($"{key} {(rep < 0 ? "warm-up" : "rep " + (rep + 1))}: gateway {BenchContext.F(gateway, "0.0")} ms | baseline {BenchContext.F(baseline, "0.0")} ms");
        }

        if (context.CacheEnabled)
        {
            await context.StopFillAsync(ct);
        }
    }

    private static async Task<double> GatewayOnceAsync(BenchContext context, CancellationToken ct)
    {
        var gateway = context.Gateway;

        // With the header cache off (phase nocache) the page is answered from IMAP the same way, but no fill starts
        // beside it: the difference is what the fill costs the first page.
        if (context.CacheEnabled)
        {
            await context.StopFillAsync(ct);
        }

        await gateway.EvictAsync(ct);
        await gateway.LoginAsync(ct); // one fresh connection in the pool, logged in, nothing selected
        if (context.CacheEnabled)
        {
            await context.Redis.DropMailboxCacheAsync(context.Mailbox.Id);
        }
        var before = await gateway.GetPoolAsync(ct);

        var clock = Stopwatch.StartNew();
        await gateway.GetPageBytesAsync(context.Mailbox.Id, BenchContext.PageSize, ct);
        var elapsed = clock.Elapsed.TotalMilliseconds;

        var used = (await gateway.GetPoolAsync(ct)).Counters.Since(before.Counters);
        if (used.Commands.GetValueOrDefault("FETCH") != 1)
        {
            throw new InvalidOperationException($"The cold page was not answered from IMAP as expected ({used}).");
        }

        // The page started a background fill: end it before anything else is timed.
        if (context.CacheEnabled)
        {
            await context.StopFillAsync(ct);
        }

        return elapsed;
    }

    private static async Task<double> BaselineOnceAsync(BenchContext context, CancellationToken ct)
    {
        using var client = await ImapBaseline.ConnectAsync(context.Settings, ct);
        var elapsed = await ImapBaseline.ColdFirstPageAsync(client, BenchContext.PageSize, ct);
        await client.DisconnectAsync(true, ct);
        return elapsed;
    }
}

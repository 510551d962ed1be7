namespace Gateway.Bench;

/// <summary>B1: a cached page of 50 headers under wrk at 1, 16 and 64 connections, against a bare endpoint of the same
/// process that serves the same bytes from one Redis GET. Run in two pool states, because the one STATUS each cached
/// page costs is cheap on a connection that has the mailbox selected and expensive on one that has not (Dovecot
/// re-reads the mailbox's whole dovecot-uidlist for it): <c>afterFill</c>, as the fill leaves the pool (the connections
/// that fetched have INBOX selected, those opened later for STATUS alone have not), and <c>freshPool</c>, every
/// connection opened anew (the state after the idle timeout), so none has.</summary>
internal static class CachedPageBench
{
    /// <summary>wrk connection counts; <c>BENCH_B1_CONNECTIONS</c> (e.g. <c>1</c>) narrows them while working on one.</summary>
    public static readonly int[] Connections = Environment.GetEnvironmentVariable("BENCH_B1_CONNECTIONS") is { Length: > 0 } only
        ? only.Split(',').Select(int.Parse).ToArray()
        : [1, 16, 64];

    public static async Task RunAsync(BenchContext context, string variant, bool freshPool, CancellationToken ct)
    {
        var gateway = context.Gateway;
        var mailboxId = context.Mailbox.Id;
        await context.EnsureCompleteAsync(ct);
        if (freshPool)
        {
            await context.FreshPoolAsync(ct);
        }

        // The baseline serves the exact bytes of the cached page (the page of an unchanged mailbox is the same each time).
        var page = await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, ct);
        var again = await gateway.GetPageBytesAsync(mailboxId, BenchContext.PageSize, ct);
        if (!page.AsSpan().SequenceEqual(again))
        {
            throw new InvalidOperationException("Two cached pages of an unchanged mailbox differ; cannot build the baseline.");
        }

        await context.Redis.SetBaselineAsync("page", page);
        using (var response = await gateway.Http.GetAsync("/bench/baseline/page", ct))
        {
            await GatewayClient.EnsureAsync(response, "GET /bench/baseline/page (is Benchmark:Enabled set?)", ct);
            if (!(await response.Content.ReadAsByteArrayAsync(ct)).AsSpan().SequenceEqual(page))
            {
                throw new InvalidOperationException("The baseline endpoint does not serve the page's bytes.");
            }
        }

        context.Results.Add($"B1.{variant}.pageBytes", page.Length);
        var token = gateway.Token!;
        var gatewayPath = GatewayClient.PagePath(mailboxId, BenchContext.PageSize);
        const string BaselinePath = "/bench/baseline/page";
        var seconds = context.Settings.LoadSeconds;

        BenchContext.Log($"B1 ({variant}): page of {page.Length} bytes; warming up");
        await Wrk.RunAsync(context.Settings, gatewayPath, token, 64, 2, ct);
        await Wrk.RunAsync(context.Settings, BaselinePath, token, 64, 2, ct);

        var before = await gateway.GetPoolAsync(ct);
        for (var rep = 0; rep < context.Settings.Repetitions; rep++)
        {
            foreach (var c in Connections)
            {
                var cpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid);
                var g = await Wrk.RunAsync(context.Settings, gatewayPath, token, c, seconds, ct);
                cpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid) - cpu;
                var b = await Wrk.RunAsync(context.Settings, BaselinePath, token, c, seconds, ct);
                Record(context.Results, variant + ".gateway", c, g);
                Record(context.Results, variant + ".baseline", c, b);
                if (g.Requests > 0)
                {
                    context.Results.Add($"B1.{variant}.gateway.c{c}.cpuGatewayMs", cpu.GatewaySeconds * 1000 / g.Requests);
                    context.Results.Add($"B1.{variant}.gateway.c{c}.cpuDovecotMs", cpu.DovecotSeconds * 1000 / g.Requests);
                }
                BenchContext.Log($"B1 ({variant}) rep {rep + 1} c={c}: gateway {BenchContext.F(g.RequestsPerSecond, "0")} req/s p50 {BenchContext.F(g.P50Ms, "0.00")} ms p99 {BenchContext.F(g.P99Ms, "0.00")} ms"
                    + $" | baseline {BenchContext.F(b.RequestsPerSecond, "0")} req/s p50 {BenchContext.F(b.P50Ms, "0.00")} ms p99 {BenchContext.F(b.P99Ms, "0.00")} ms"
                    + (g.Errors + b.Errors > 0 ? $" | errors {g.Errors}/{b.Errors}" : string.Empty)
                    + (g.Requests > 0 ? $" | CPU per gateway request: gateway {BenchContext.F(cpu.GatewaySeconds * 1000 / g.Requests, "0.00")} ms, Dovecot {BenchContext.F(cpu.DovecotSeconds * 1000 / g.Requests, "0.00")} ms" : string.Empty));
            }
        }

        var used = (await gateway.GetPoolAsync(ct)).Counters.Since(before.Counters);
        context.Results.Note($"B1.{variant}.imap", $"IMAP during these runs: {used} ({BenchContext.F(used.BytesRead / 1024.0, "0")} KB read)");
    }

    private static void Record(PhaseResults results, string side, int connections, WrkResult r)
    {
        var key = $"B1.{side}.c{connections}";
        results.Add(key + ".rps", r.RequestsPerSecond);
        results.Add(key + ".p50", r.P50Ms);
        results.Add(key + ".p99", r.P99Ms);
        results.Add(key + ".errors", r.Errors);
    }
}

namespace Gateway.Bench;

/// <summary>B3: the pooled gateway serving the first page at 16 concurrent clients, against a login-per-request
/// client (connect, log in, EXAMINE, FETCH the newest 50 summaries, LOGOUT) at the same concurrency. Both sides are
/// driven by the same closed loop of this process. Each gateway repetition starts from a fresh pool (the baseline's
/// repetitions need the gateway's connections closed anyway, to stay under the server's per-user limit).</summary>
internal static class PoolingBench
{
    /// <summary>Below Dovecot's per-user connection limit (20 here) even with the gateway's pool still open.</summary>
    public const int Concurrency = 16;

    public static async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        var duration = TimeSpan.FromSeconds(context.Settings.LoadSeconds);
        for (var rep = 0; rep < context.Settings.Repetitions; rep++)
        {
            var gateway = await GatewayOnceAsync(context, "B3.gateway", duration, ct);

            // Close the gateway's idle connections so the login-per-request side stays under the per-user limit.
            await context.Gateway.EvictAsync(ct);
            var baseline = await ClosedLoop.RunAsync(
                Concurrency, duration, (_, token) => ImapBaseline.LoginPerRequestAsync(context.Settings, BenchContext.PageSize, token), ct);
            context.Results.Add("B3.baseline.rps", baseline.PerSecond);
            context.Results.Add("B3.baseline.p50", baseline.P50Ms);
            context.Results.Add("B3.baseline.errors", baseline.Errors);
            BenchContext.Log($"B3 rep {rep + 1}: gateway {BenchContext.F(gateway.PerSecond, "0")} req/s p50 {BenchContext.F(gateway.P50Ms, "0.0")} ms"
                + $" | login-per-request {BenchContext.F(baseline.PerSecond, "0.0")} req/s p50 {BenchContext.F(baseline.P50Ms, "0.0")} ms"
                + (baseline.Errors > 0 ? $" ({baseline.Errors} errors, first: {baseline.FirstError})" : string.Empty));
        }
    }

    /// <summary>The gateway side alone (also used by the phase that runs with the header cache off).</summary>
    public static async Task<LoopResult> GatewayOnceAsync(BenchContext context, string key, TimeSpan duration, CancellationToken ct)
    {
        var path = GatewayClient.PagePath(context.Mailbox.Id, BenchContext.PageSize);
        async Task Get(int worker, CancellationToken token)
        {
            using var response = await context.Gateway.Http.GetAsync(path, HttpCompletionOption.ResponseContentRead, token);
            response.EnsureSuccessStatusCode();
        }

        // From the state after an idle timeout (no connection has INBOX selected; see CachedPageBench), then a warm-up
        // that opens the pool's connections; not recorded.
        await context.FreshPoolAsync(ct);
        await ClosedLoop.RunAsync(Concurrency, TimeSpan.FromSeconds(1), Get, ct);
        var result = await ClosedLoop.RunAsync(Concurrency, duration, Get, ct);
        context.Results.Add(key + ".rps", result.PerSecond);
        context.Results.Add(key + ".p50", result.P50Ms);
        context.Results.Add(key + ".p99", result.P99Ms);
        context.Results.Add(key + ".errors", result.Errors);
        return result;
    }
}

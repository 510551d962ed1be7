using Gateway.Bench;

// The measuring half of bench/run.sh (which starts and stops Dovecot, Redis and the gateway):
//   Gateway.Bench run main|cap1|nocache   measure against the gateway at BENCH_GATEWAY_URL, write <phase>.json
//   Gateway.Bench report [--no-doc]       merge the phase files, print the table, update docs/BENCHMARKS.md (unless --no-doc)
//   Gateway.Bench proxy LISTEN TARGET MS  a loopback TCP proxy adding MS milliseconds each way (until stopped)
if (args is ["proxy", var listen, var target, var ms])
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
    await LatencyProxy.RunAsync(int.Parse(listen, System.Globalization.CultureInfo.InvariantCulture), int.Parse(target, System.Globalization.CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(double.Parse(ms, System.Globalization.CultureInfo.InvariantCulture)), stop.Token);
    return 0;
}

if (args.Length == 0 || args[0] is not ("run" or "report") || (args[0] == "run" && args.Length < 2))
{
    await Console.Error.WriteLineAsync("usage: Gateway.Bench run main|cap1|nocache|lat5|lat1 | Gateway.Bench report [--doc PATH | --no-doc] | Gateway.Bench proxy LISTEN TARGET MS");
    return 2;
}

var settings = BenchSettings.FromEnvironment();
using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(9)); // never outlive bench/run.sh's budget
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

if (args[0] == "report")
{
    var doc = args.Length >= 3 && args[1] == "--doc" ? args[2] : "docs/BENCHMARKS.md";
    var report = new Report(PhaseResults.LoadAll(settings.ResultsDirectory), MachineInfo.Collect(), settings.Only);
    Console.WriteLine(report.Table());
    if (args is not [_, "--no-doc"])
    {
        await report.UpdateDocumentAsync(doc);
    }

    return 0;
}

var phase = args[1];
var results = new PhaseResults { Phase = phase };
await using var redis = await BenchRedis.ConnectAsync(settings);
using var gateway = new GatewayClient(settings);
var context = new BenchContext(settings, gateway, redis, results);
try
{
    await context.SetUpAsync(cancellation.Token);
    switch (phase)
    {
        case "main":
            if (settings.Runs("B1") || settings.Runs("B4"))
            {
                await StatusProbeAsync(context, cancellation.Token);
            }

            if (settings.Runs("B2"))
            {
                await ColdPageBench.RunAsync(context, cancellation.Token);
                context.MemoryCheckpoint("B2");
            }

            if (settings.Runs("B5") || settings.Runs("B6"))
            {
                await FillBench.RunAsync(context, cancellation.Token);
                context.MemoryCheckpoint("B5");
            }

            if (settings.Runs("B1") || settings.Runs("B4"))
            {
                await context.EnsureCompleteAsync(cancellation.Token);
                await RefreshBench.RunAsync(context, "afterFill", freshPool: false, settings.Repetitions, cancellation.Token);
                await CachedPageBench.RunAsync(context, "afterFill", freshPool: false, cancellation.Token);
                context.MemoryCheckpoint("B1 afterFill");
                await RefreshBench.RunAsync(context, "freshPool", freshPool: true, 2, cancellation.Token);
                await CachedPageBench.RunAsync(context, "freshPool", freshPool: true, cancellation.Token);
                context.MemoryCheckpoint("B1 freshPool");
                using (await FreshnessBench.SubscribeAsync(context, cancellation.Token))
                {
                    await CachedPageBench.RunAsync(context, "pushed", freshPool: false, cancellation.Token);
                }
            }

            if (settings.Runs("B3"))
            {
                await context.EnsureCompleteAsync(cancellation.Token);
                await PoolingBench.RunAsync(context, cancellation.Token);
                context.MemoryCheckpoint("B3");
            }

            if (settings.Runs("B7"))
            {
                await context.EnsureCompleteAsync(cancellation.Token);
                await MessageReadBench.RunAsync(context, "cap" + settings.PoolCap, 0, cancellation.Token);
            }

            if (settings.Runs("B8"))
            {
                await context.EnsureCompleteAsync(cancellation.Token);
                await FreshnessBench.RunAsync(context, settings.FreshnessTrials, cancellation.Token);
            }

            break;
        case "cap1":
            await context.EnsureCompleteAsync(cancellation.Token);
            await MessageReadBench.RunAsync(context, "cap" + settings.PoolCap, MessageReadBench.IdsPerPhase, cancellation.Token);
            break;
        case "lat5":
        case "lat1":
            // B7 again with the gateway talking to Dovecot through the latency proxy (bench/run.sh).
            await context.EnsureCompleteAsync(cancellation.Token);
            if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_PROXY_PORT"), out var proxyPort))
            {
                results.Add("B7.rtt.proxyMs", await LatencyProxy.RoundTripAsync(proxyPort, cancellation.Token));
                results.Add("B7.rtt.directMs", await LatencyProxy.RoundTripAsync(settings.ImapPort, cancellation.Token));
            }

            await MessageReadBench.RunAsync(context, phase, (phase == "lat5" ? 2 : 3) * MessageReadBench.IdsPerPhase, cancellation.Token);
            break;
        case "nocache":
            context.CacheEnabled = false;
            if (settings.Runs("B2"))
            {
                await ColdPageBench.RunAsync(context, cancellation.Token, "B2.nocache");
            }

            for (var rep = 0; settings.Runs("B3") && rep < settings.Repetitions; rep++)
            {
                var r = await PoolingBench.GatewayOnceAsync(context, "B3.nocache", TimeSpan.FromSeconds(settings.LoadSeconds), cancellation.Token);
                BenchContext.Log($"B3 (cache off) rep {rep + 1}: gateway {BenchContext.F(r.PerSecond, "0")} req/s p50 {BenchContext.F(r.P50Ms, "0.0")} ms");
            }

            break;
        default:
            throw new ArgumentException($"Unknown phase '{phase}'.");
    }

    if (context.GatewayMemory() is { } memory)
    {
        results.Add($"B6.rss.{phase}.peakMb", memory.PeakMb);
        results.Add($"B6.rss.{phase}.currentMb", memory.CurrentMb);
        BenchContext.Log($"gateway RSS ({phase}): peak {BenchContext.F(memory.PeakMb, "0")} MB, now {BenchContext.F(memory.CurrentMb, "0")} MB");
    }

    return 0;
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    results.Note("error." + phase, ex.GetType().Name + ": " + ex.Message);
    await Console.Error.WriteLineAsync($"bench: phase {phase} failed: {ex}");
    return 1;
}
finally
{
    await results.SaveAsync(settings.ResultsDirectory);
}

// What one STATUS of the 100k INBOX costs the server, not selected and selected (context for B1 and B4).
static async Task StatusProbeAsync(BenchContext context, CancellationToken ct)
{
    using var client = await ImapBaseline.ConnectAsync(context.Settings, ct);
    var (unselected, selected) = await ImapBaseline.StatusCostAsync(client, 5, ct);
    await client.DisconnectAsync(true, ct);
    context.Results.Add("IMAP.status.unselected.ms", unselected);
    context.Results.Add("IMAP.status.selected.ms", selected);
    BenchContext.Log($"one STATUS of INBOX (plain MailKit): {BenchContext.F(unselected, "0.0")} ms not selected, {BenchContext.F(selected, "0.00")} ms selected");
}

using System.Diagnostics;
using Gateway.Core.Messages.Cache;

namespace Gateway.Bench;

/// <summary>B5 and the Redis half of B6: the background fill of all 100k headers, from the cold listing that starts it
/// to the cache state saying complete, against plain MailKit fetching the same items in the same batches; Redis
/// <c>used_memory</c> before and after each fill.</summary>
internal static class FillBench
{
    private const int BaselineBatch = 250;

    public static async Task RunAsync(BenchContext context, CancellationToken ct)
    {
        // The baseline fetches in the batches it is fastest with, not the gateway's (Cache:FillBatchSize, 50, chosen for
        // the gateway's garbage collector): one connection pays a round trip per batch, and measured against each other
        // 50 gave it ~33k headers/s, 250 and 1000 ~46-49k. BENCH_FILL_BATCH overrides it.
        var batch = int.TryParse(Environment.GetEnvironmentVariable("BENCH_FILL_BATCH"), out var b) ? b : BaselineBatch;

        // Rep 0 warms both sides up and is not counted: each is a fresh process whose first fill runs code the JIT has
        // not optimised yet (measured: ~80-90 µs of gateway CPU per header in a first fill against ~35-43 later, and
        // ~40-50 against ~20 for plain MailKit), which a gateway that has run for a minute no longer pays. B7 warms
        // up the same way.
        for (var rep = -1; rep < context.Settings.FillRepetitions; rep++)
        {
            var warmUp = rep < 0;

            // Baseline first, so the gateway's fill is the last thing and leaves the cache complete for what follows.
            using (var client = await ImapBaseline.ConnectAsync(context.Settings, ct))
            {
                var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var cpuBefore = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid);
                var (count, seconds) = await ImapBaseline.FillAsync(client, batch, ct);
                var ownCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownBefore).TotalSeconds;
                var dovecotCpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid).DovecotSeconds - cpuBefore.DovecotSeconds;
                await client.DisconnectAsync(true, ct);
                if (!warmUp)
                {
                    context.Results.Add("B5.baseline.cpuClientUs", ownCpu * 1e6 / count);
                    context.Results.Add("B5.baseline.cpuDovecotUs", dovecotCpu * 1e6 / count);
                    context.Results.Add("B5.baseline.hps", count / seconds);
                    context.Results.Add("B5.baseline.seconds", seconds);
                }

                BenchContext.Log($"B5 {(warmUp ? "warm-up" : $"rep {rep + 1}")}: plain MailKit fetched {count} summaries in {BenchContext.F(seconds, "0.0")} s = {BenchContext.F(count / seconds, "0")}/s");
            }

            await context.StopFillAsync(ct);
            await Task.Delay(300, ct);
            var memoryBefore = await context.Redis.UsedMemoryAsync();
            var gatewayCpuBefore = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid);
            var clock = Stopwatch.StartNew();
            await context.Gateway.GetPageBytesAsync(context.Mailbox.Id, BenchContext.PageSize, ct); // cold: starts the fill
            var (elapsed, cached) = await context.WaitForCompleteFillAsync(clock, TimeSpan.FromMinutes(4), ct);
            var gatewayCpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid);
            var memoryAfter = await context.Redis.UsedMemoryAsync();
            var usage = await context.Redis.MailboxMemoryUsageAsync(context.Mailbox.Id);
            BenchContext.Log($"B5 {(warmUp ? "warm-up" : $"rep {rep + 1}")}: gateway filled {cached} in {BenchContext.F(elapsed, "0.0")} s = {BenchContext.F(cached / elapsed, "0")}/s"
                + $" | B6 Redis used_memory +{BenchContext.F((memoryAfter - memoryBefore) / 1048576.0, "0.0")} MB = {BenchContext.F((memoryAfter - memoryBefore) / (double)cached, "0")} B/header"
                + $" (MEMORY USAGE of the keys: {BenchContext.F(usage / (double)cached, "0")} B/header)");
            if (warmUp)
            {
                continue;
            }

            context.Results.Add("B5.gateway.cpuGatewayUs", (gatewayCpu.GatewaySeconds - gatewayCpuBefore.GatewaySeconds) * 1e6 / cached);
            context.Results.Add("B5.gateway.cpuDovecotUs", (gatewayCpu.DovecotSeconds - gatewayCpuBefore.DovecotSeconds) * 1e6 / cached);
            context.Results.Add("B5.gateway.hps", cached / elapsed);
            context.Results.Add("B5.gateway.seconds", elapsed);
            context.Results.Add("B6.redis.bytesPerHeader", (memoryAfter - memoryBefore) / (double)cached);
            context.Results.Add("B6.redis.memoryUsagePerHeader", usage / (double)cached);
            context.Results.Add("B6.redis.usedMemoryDelta", memoryAfter - memoryBefore);
        }
    }
}

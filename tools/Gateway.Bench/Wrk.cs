using System.Diagnostics;
using System.Globalization;

namespace Gateway.Bench;

/// <summary>One wrk run: throughput and latency percentiles (from its Lua <c>done()</c> hook, bench/wrk-report.lua).</summary>
internal sealed record WrkResult(long Requests, double Seconds, double P50Ms, double P90Ms, double P99Ms, double MaxMs, long Errors, long Bytes)
{
    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>Runs Debian's wrk against the gateway (loopback only, bounded by its -d duration).</summary>
internal static class Wrk
{
    public static async Task<WrkResult> RunAsync(BenchSettings settings, string pathAndQuery, string token, int connections, int seconds, CancellationToken ct)
    {
        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-t", Math.Min(connections, 2).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", seconds.ToString(CultureInfo.InvariantCulture) + "s",
            "--timeout", "10s",
            "-s", settings.LuaScript,
            "-H", "Authorization: Bearer " + token,
            new Uri(settings.Gateway, pathAndQuery).ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(seconds + 30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("wrk did not finish in time.");
        }

        var output = await stdout;
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("WRK_RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result (exit {process.ExitCode}): {output} {await stderr}");
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => f.Split('='))
            .ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new WrkResult(
            (long)fields["requests"],
            fields["duration_us"] / 1e6,
            fields["p50_us"] / 1000,
            fields["p90_us"] / 1000,
            fields["p99_us"] / 1000,
            fields["max_us"] / 1000,
            (long)(fields["connect"] + fields["read"] + fields["write"] + fields["status"] + fields["timeout"]),
            (long)fields["bytes"]);
    }
}

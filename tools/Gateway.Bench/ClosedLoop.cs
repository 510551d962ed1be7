using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>What a closed-loop run did: operations completed inside the window, errors, latency.</summary>
internal sealed record LoopResult(long Completed, double Seconds, long Errors, double P50Ms, double P99Ms, string? FirstError)
{
    public double PerSecond => Completed / Seconds;
}

/// <summary>A fixed number of workers, each running one operation after another for a fixed time: the load shape of
/// wrk, for operations wrk cannot do (IMAP logins, fan-outs).</summary>
internal static class ClosedLoop
{
    public static async Task<LoopResult> RunAsync(int workers, TimeSpan duration, Func<int, CancellationToken, Task> operation, CancellationToken ct)
    {
        var latencies = new List<double>[workers];
        var errors = 0L;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = [];
            while (clock.Elapsed < duration)
            {
                var started = clock.Elapsed;
                try
                {
                    await operation(worker, ct);
                    var ended = clock.Elapsed;
                    if (ended <= duration)
                    {
                        mine.Add((ended - started).TotalMilliseconds);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var all = latencies.SelectMany(l => l).ToList();
        return new LoopResult(all.Count, duration.TotalSeconds, errors, Figure.Percentile(all, 50), Figure.Percentile(all, 99), firstError);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench;

/// <summary>
/// A loopback TCP proxy that delays every chunk by a fixed time in each direction, in order, without limiting
/// bandwidth: an IMAP server a few milliseconds away, which is where a gateway usually is from its mail server.
/// B7 runs once directly against Dovecot and once through this, because on loopback one connection is already bound by
/// the 2 cores rather than by round trips, which is what parallel connections are for.
/// </summary>
internal static class LatencyProxy
{
    public static async Task RunAsync(int listenPort, int targetPort, TimeSpan oneWay, CancellationToken ct)
    {
        var listener = new TcpListener(IPAddress.Loopback, listenPort);
        listener.Start();
        await Console.Error.WriteLineAsync($"bench: latency proxy 127.0.0.1:{listenPort} -> :{targetPort}, {oneWay.TotalMilliseconds} ms each way");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var downstream = await listener.AcceptTcpClientAsync(ct);
                _ = Task.Run(() => ServeAsync(downstream, targetPort, oneWay, ct), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task ServeAsync(TcpClient downstream, int targetPort, TimeSpan oneWay, CancellationToken ct)
    {
        using (downstream)
        using (var upstream = new TcpClient())
        {
            downstream.NoDelay = true;
            upstream.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, targetPort, ct);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var a = PumpAsync(downstream.GetStream(), upstream.GetStream(), oneWay, done);
                var b = PumpAsync(upstream.GetStream(), downstream.GetStream(), oneWay, done);
                await Task.WhenAny(a, b);
                await done.CancelAsync();
                await Task.WhenAll(a, b).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // One side closed.
            }
        }
    }

    /// <summary>The median time of an IMAP NOOP round trip to 127.0.0.1:<paramref name="port"/> (a raw socket, 50 NOOPs
    /// after the greeting), in milliseconds.</summary>
    public static async Task<double> RoundTripAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        var stream = client.GetStream();
        var buffer = new byte[4096];
        _ = await stream.ReadAsync(buffer, ct); // greeting
        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var tag = $"r{i}";
            var started = Stopwatch.GetTimestamp();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(tag + " NOOP\r\n"), ct);
            var seen = new System.Text.StringBuilder();
            while (!seen.ToString().Contains(tag + " OK", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, ct);
                if (read == 0)
                {
                    throw new IOException("The server closed the connection.");
                }

                seen.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
            }

            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        await stream.WriteAsync("r LOGOUT\r\n"u8.ToArray(), ct);
        return Figure.Percentile(times, 50);
    }

    /// <summary>Reads chunks as they come and writes each one <paramref name="oneWay"/> after it was read. The writer is
    /// a thread of its own sleeping with <see cref="Thread.Sleep(int)"/> (nanosleep: ~0.1 ms late), because timers
    /// (Task.Delay) fire several milliseconds late here and would make the link far slower than asked.</summary>
    private static async Task PumpAsync(Stream from, Stream to, TimeSpan oneWay, CancellationTokenSource done)
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<(long At, byte[] Data)>();
        var token = done.Token;
        var finished = new TaskCompletionSource();
        var writer = new Thread(() =>
        {
            try
            {
                foreach (var (at, data) in queue.GetConsumingEnumerable(token))
                {
                    var wait = oneWay - Stopwatch.GetElapsedTime(at);
                    if (wait > TimeSpan.Zero)
                    {
                        Thread.Sleep((int)Math.Ceiling(wait.TotalMilliseconds));
                    }

                    to.Write(data);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                done.Cancel();
                finished.TrySetResult();
            }
        })
        { IsBackground = true, Name = "latency-proxy writer" };
        writer.Start();

        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, token);
                if (read == 0)
                {
                    break;
                }

                queue.Add((Stopwatch.GetTimestamp(), buffer.AsSpan(0, read).ToArray()), token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            queue.CompleteAdding();
            await finished.Task;
        }
    }
}

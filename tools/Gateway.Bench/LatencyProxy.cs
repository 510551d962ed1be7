using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

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

    /// <summary>Reads chunks as they come and writes each one <paramref name="oneWay"/> after it was read.</summary>
    private static async Task PumpAsync(Stream from, Stream to, TimeSpan oneWay, CancellationTokenSource done)
    {
        var queue = Channel.CreateUnbounded<(long At, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (at, data) in queue.Reader.ReadAllAsync(done.Token))
                {
                    var wait = oneWay - Stopwatch.GetElapsedTime(at);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, done.Token);
                    }

                    await to.WriteAsync(data, done.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                await done.CancelAsync();
            }
        });

        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, done.Token);
                if (read == 0)
                {
                    break;
                }

                queue.Writer.TryWrite((Stopwatch.GetTimestamp(), buffer.AsSpan(0, read).ToArray()));
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
            await writer;
        }
    }
}

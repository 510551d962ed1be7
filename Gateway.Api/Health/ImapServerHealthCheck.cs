using System.Net.Sockets;
using Gateway.Core.Imap;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Health;

/// <summary>Readiness: the configured IMAP server accepts TCP connections (no login, no user's data).</summary>
public sealed class ImapServerHealthCheck(IOptions<ImapOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var imap = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(imap.Host, imap.Port, timeout.Token);
            return HealthCheckResult.Healthy($"{imap.Host}:{imap.Port} accepts connections");
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{imap.Host}:{imap.Port} does not accept connections", ex);
        }
    }
}

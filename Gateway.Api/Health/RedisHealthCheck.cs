using Gateway.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Api.Health;

/// <summary>Readiness: Redis answers PING (only registered when Redis is configured). Degraded, not unhealthy, when
/// down: the gateway still answers from IMAP.</summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.Enabled)
        {
            return HealthCheckResult.Healthy("Redis not configured; in-process stores");
        }

        try
        {
            var db = await redis.GetDatabaseAsync(cancellationToken);
            var latency = await db.PingAsync().WaitAsync(redis.Options.OperationTimeout, cancellationToken);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Degraded("Redis does not answer; serving from IMAP", ex);
        }
    }
}

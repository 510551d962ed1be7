using Gateway.Api.Auth;
using Gateway.Core.Imap;
using Gateway.Core.Storage;

namespace Gateway.Api.Infrastructure;

/// <summary>
/// Endpoints for <c>bench/run.sh</c> only, mapped when <c>Benchmark:Enabled</c> is true (default false) and left out of
/// the OpenAPI document. Not part of the public contract.
/// <list type="bullet">
/// <item><c>GET /bench/baseline/{name}</c>: the bytes stored in Redis under <c>{Redis:KeyPrefix}bench:{name}</c>, read
/// with one GET and written as JSON; the floor a cached listing page is compared with (B1).</item>
/// <item><c>GET /bench/pool</c>: the caller's pool counters (connections, commands by name, bytes read).</item>
/// <item><c>POST /bench/pool/evict</c>: closes the caller's idle connections, so the next request starts from a fresh
/// login (and leased ones close when returned).</item>
/// </list>
/// </summary>
public static class BenchmarkEndpoints
{
    /// <summary>The configuration key that turns these endpoints on.</summary>
    public const string EnabledKey = "Benchmark:Enabled";

    private const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Maps the endpoints when <see cref="EnabledKey"/> is true; otherwise does nothing.</summary>
    public static WebApplication MapBenchmarkEndpoints(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(EnabledKey))
        {
            return app;
        }

        var bench = app.MapGroup("/bench").ExcludeFromDescription();

        bench.MapGet("/baseline/{name}", async (string name, RedisConnection redis, HttpContext context) =>
        {
            if (!redis.Enabled)
            {
                return Results.NotFound();
            }

            var db = await redis.GetDatabaseAsync(context.RequestAborted);
            using var value = await db.StringGetLeaseAsync(redis.Prefix + "bench:" + name);
            if (value is null)
            {
                return Results.NotFound();
            }

            context.Response.ContentType = JsonContentType;
            context.Response.ContentLength = value.Length;
            await context.Response.Body.WriteAsync(value.Memory, context.RequestAborted);
            return Results.Empty;
        });

        bench.MapGet("/pool", (HttpContext context, IImapSessionPool pool) =>
        {
            var stats = pool.GetStats(context.GetAccountSession().Account.Key);
            return Results.Json(new
            {
                stats.OpenConnections,
                stats.LeasedConnections,
                stats.Logins,
                stats.Leases,
                stats.ConnectionsDiscarded,
                stats.BytesRead,
                // A list, not a dictionary: the JSON options camel-case dictionary keys ("uid FETCH").
                Commands = stats.CommandsByName.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new { Name = c.Key, Count = c.Value }),
            });
        }).RequireAuthorization();

        bench.MapPost("/pool/evict", async (HttpContext context, IImapSessionPool pool) =>
        {
            await pool.EvictAsync(context.GetAccountSession().Account.Key, context.RequestAborted);
            return Results.NoContent();
        }).RequireAuthorization();

        return app;
    }
}

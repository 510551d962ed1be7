using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Gateway.Api.Messages;
using Gateway.Api.Auth;
using Gateway.Api.Health;
using Gateway.Api.OpenApi;
using Gateway.Api.Problems;
using Gateway.Core;
using Gateway.Core.Accounts;
using Gateway.Core.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Gateway.Api.Infrastructure;

/// <summary>The HTTP side of the composition root.</summary>
public static class GatewayApiExtensions
{
    /// <summary>Registers Core, auth, problem details, controllers, OpenAPI, CORS, health checks, metrics and rate limits.</summary>
    public static WebApplicationBuilder AddGatewayApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddGatewayCore();

        services.AddSingleton<Gateway.Api.Messages.RenderedPages>();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        // Credentials at rest: Data Protection, keys shared through Redis so any instance reads any session.
        services.AddDataProtection().SetApplicationName("imap-rest-gateway");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>().Configure<RedisConnection>((options, redis) =>
        {
            if (redis.Enabled)
            {
                options.XmlRepository = new Microsoft.AspNetCore.DataProtection.StackExchangeRedis.RedisXmlRepository(
                    () => redis.Multiplexer.GetDatabase(), redis.Prefix + "dataprotection-keys");
            }
        });

        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddProblemDetails(options => options.CustomizeProblemDetails = ctx => ProblemWriter.Decorate(ctx.HttpContext, ctx.ProblemDetails));
        services.AddExceptionHandler<GatewayExceptionHandler>();

        services.AddControllers(options => options.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = false)
            .AddJsonOptions(options => ConfigureJson(options.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(options => options.InvalidModelStateResponseFactory = InvalidModelState);
        services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));

        // Minimal-API endpoints (the listing) throw on a query value that does not parse, so the exception handler
        // answers 400 validation-failed as MVC's model binding does, instead of an empty 400.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        services.AddGatewayOpenApi();
        services.AddGatewayCors();

        services.AddHealthChecks()
            .AddCheck<ImapServerHealthCheck>("imap", tags: ["ready"])
            .AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);

        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Gateway.Core.Imap.ImapMetricNames.MeterName)
                .AddMeter(Gateway.Core.Messages.Cache.CacheMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRateLimited;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var limits = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value;
                if (limits.PermitsPerSecond <= 0 || !context.Request.Path.StartsWithSegments("/api"))
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                // Per bearer token when there is one, else per client address.
                string? auth = context.Request.Headers.Authorization;
                var key = auth is { Length: > 7 } ? "t:" + auth.GetHashCode(StringComparison.Ordinal) : "a:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.Burst,
                    TokensPerPeriod = limits.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });

        return builder;
    }

    /// <summary>The HTTP pipeline and endpoints.</summary>
    public static WebApplication MapGatewayApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "IMAP-to-REST gateway v1");
            options.DocumentTitle = "IMAP-to-REST gateway";
        });
        app.UseGatewayWebApp(); // /app: the reference webmail SPA's files, with its CSP
        app.UseRouting();
        app.UseGatewayCors(); // before authentication: preflights carry no token
        app.Use(RejectOversizedBodies);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapControllers();
        app.MapMessageList();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapBenchmarkEndpoints(); // only when Benchmark:Enabled=true (bench/run.sh)
        return app;
    }

    /// <summary>413 before reading a body whose declared length exceeds the endpoint's <c>[RequestSizeLimit]</c>
    /// (Kestrel enforces the limit while reading; this also covers hosts that do not, and answers in problem form).</summary>
    private static Task RejectOversizedBodies(HttpContext context, RequestDelegate next)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>()?.MaxRequestBodySize;
        if (limit is { } max && context.Request.ContentLength > max)
        {
            var problem = ProblemWriter.Create(context, ProblemTypes.PayloadTooLarge, $"The request body must be at most {max} bytes.");
            return ProblemWriter.WriteAsync(context, problem);
        }

        return next(context);
    }

    private static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.MaxDepth = 32;
    }

    private static ProblemResult InvalidModelState(ActionContext context)
    {
        var errors = context.ModelState
            .Where(e => e.Value is { Errors.Count: > 0 })
            .ToDictionary(
                e => string.IsNullOrEmpty(e.Key) ? "body" : JsonNamingPolicy.CamelCase.ConvertName(e.Key.TrimStart('$', '.')),
                e => e.Value!.Errors.Select(x => string.IsNullOrEmpty(x.ErrorMessage) ? "The value is not valid." : x.ErrorMessage).ToArray());
        var problem = ProblemWriter.Create(context.HttpContext, ProblemTypes.ValidationFailed, "The request is not valid; see errors.");
        problem.Extensions["errors"] = errors;
        return new ProblemResult(problem);
    }

    private static async ValueTask OnRateLimited(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var problem = ProblemWriter.Create(context.HttpContext, ProblemTypes.RateLimited, "Too many requests; slow down.", retryable: true);
        await ProblemWriter.WriteAsync(context.HttpContext, problem);
    }
}

/// <summary>Per-caller request rate limit (configuration section <c>RateLimiting</c>); 0 turns it off.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimiting";

    [System.ComponentModel.DataAnnotations.Range(0, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 200;

    [System.ComponentModel.DataAnnotations.Range(1, 1_000_000)]
    public int Burst { get; set; } = 400;
}

using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Infrastructure;

/// <summary>Cross-origin access for browser clients (configuration section <c>Cors</c>). With no allowed origins (the
/// default) the gateway sends no CORS headers at all and browsers keep other origins out.</summary>
/// <remarks>Credentials (cookies, HTTP auth, client certificates) are never allowed: the API authenticates with bearer
/// tokens a script sends itself, so nothing ambient can be abused from another origin. For the same reason <c>*</c> is
/// accepted, but only as the only entry: it answers <c>Access-Control-Allow-Origin: *</c> and still no credentials.</remarks>
public sealed class GatewayCorsOptions
{
    public const string SectionName = "Cors";

    /// <summary>Origins allowed to call the API from a browser: absolute <c>http</c>/<c>https</c> origins
    /// (<c>https://app.example</c>, a port where it is not the default), no path, query or user info; or <c>*</c> alone.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long browsers may cache a preflight answer (<c>Access-Control-Max-Age</c>); 0 to 1 day
    /// (browsers cap it lower: Chromium at 2 hours, Firefox at 1 day).</summary>
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Response headers scripts may read.</summary>
    public static readonly string[] ExposedHeaders = ["ETag", "Link", "Retry-After", "Location", "Idempotent-Replayed"];

    /// <summary>Request headers scripts may send (besides the CORS-safelisted ones).</summary>
    public static readonly string[] AllowedHeaders = ["Authorization", "Content-Type", "If-None-Match", "If-Match", "Idempotency-Key", "Last-Event-ID"];

    /// <summary>Methods the API uses.</summary>
    public static readonly string[] AllowedMethods = ["GET", "HEAD", "POST", "PATCH", "DELETE"];

    internal bool AnyOrigin => AllowedOrigins.Length == 1 && AllowedOrigins[0].Trim() == "*";

    /// <summary>The configured origins as browsers send them in <c>Origin</c> (scheme and host in lower case, no
    /// default port, no trailing slash); null for a value that is not an origin.</summary>
    internal static string? Normalize(string value)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
            || value.Trim().EndsWith("//", StringComparison.Ordinal))
        {
            return null;
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }
}

/// <summary>Refuses bad <c>Cors</c> settings at start, naming the key.</summary>
internal sealed class GatewayCorsOptionsValidator : IValidateOptions<GatewayCorsOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayCorsOptions options)
    {
        var errors = new List<string>();
        if (options.AllowedOrigins.Any(o => o.Trim() == "*") && !options.AnyOrigin)
        {
            errors.Add("Cors:AllowedOrigins: '*' must be the only entry (it allows every origin).");
        }
        else if (!options.AnyOrigin)
        {
            for (var i = 0; i < options.AllowedOrigins.Length; i++)
            {
                if (GatewayCorsOptions.Normalize(options.AllowedOrigins[i]) is null)
                {
                    errors.Add($"Cors:AllowedOrigins:{i}: '{options.AllowedOrigins[i]}' is not an origin: give scheme (http or https), host and optional port, without path, e.g. https://app.example.");
                }
            }
        }

        if (options.PreflightMaxAge < TimeSpan.Zero || options.PreflightMaxAge > TimeSpan.FromDays(1))
        {
            errors.Add("Cors:PreflightMaxAge must be between 00:00:00 and 1.00:00:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Registers the CORS policy built from <see cref="GatewayCorsOptions"/> and adds the middleware when origins are set.</summary>
public static class CorsSetup
{
    public static IServiceCollection AddGatewayCors(this IServiceCollection services)
    {
        services.AddOptions<GatewayCorsOptions>().BindConfiguration(GatewayCorsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayCorsOptions>, GatewayCorsOptionsValidator>();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<GatewayCorsOptions>>((cors, gateway) =>
        {
            var settings = gateway.Value;
            if (settings.AllowedOrigins.Length == 0)
            {
                return;
            }

            cors.AddDefaultPolicy(policy =>
            {
                if (settings.AnyOrigin)
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins(settings.AllowedOrigins.Select(o => GatewayCorsOptions.Normalize(o)!).ToArray());
                }

                policy.DisallowCredentials()
                    .WithMethods(GatewayCorsOptions.AllowedMethods)
                    .WithHeaders(GatewayCorsOptions.AllowedHeaders)
                    .WithExposedHeaders(GatewayCorsOptions.ExposedHeaders)
                    .SetPreflightMaxAge(settings.PreflightMaxAge);
            });
        });
        return services;
    }

    /// <summary>Adds the CORS middleware (after routing, before authentication) only when some origin is allowed.</summary>
    public static IApplicationBuilder UseGatewayCors(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<GatewayCorsOptions>>().Value;
        return settings.AllowedOrigins.Length == 0 ? app : app.UseCors();
    }
}

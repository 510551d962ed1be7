using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Infrastructure;

/// <summary>The reference webmail SPA (<c>app/</c>, built by <c>scripts/build-app.sh</c> into <c>wwwroot/app</c>),
/// served at <c>/app</c>: its static files, <c>index.html</c> for every other path under <c>/app</c> (client-side
/// routes), and a strict Content-Security-Policy on all of it. Without a build nothing is served and <c>/app</c> is 404.</summary>
public static class WebAppSetup
{
    public const string PathBase = "/app";

    /// <summary>Scripts only from the gateway's own origin (no inline script, no eval), calls only to it. Inline styles
    /// are allowed because the message body is shown in a <c>srcdoc</c> iframe, which inherits this policy, and mail
    /// HTML is styled inline; the iframe is sandboxed without <c>allow-scripts</c>, and the HTML is sanitized on the
    /// server (no remote loads), so <c>img-src</c> needs only <c>data:</c>/<c>blob:</c> for embedded images.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication UseGatewayWebApp(this WebApplication app)
    {
        // WebApp:Root overrides where the build is (tests point it at a directory of their own).
        var root = app.Configuration["WebApp:Root"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, app.Environment.ContentRootPath)
            : Path.Combine(app.Environment.WebRootPath ?? Path.Combine(app.Environment.ContentRootPath, "wwwroot"), "app");
        var index = Path.Combine(root, "index.html");

        app.UseWhen(context => context.Request.Path.StartsWithSegments(PathBase), branch =>
        {
            branch.Use((context, next) =>
            {
                context.Response.OnStarting(() =>
                {
                    var headers = context.Response.Headers;
                    headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                    headers[HeaderNames.XContentTypeOptions] = "nosniff";
                    headers["Referrer-Policy"] = "no-referrer";
                    headers[HeaderNames.XFrameOptions] = "DENY";
                    return Task.CompletedTask;
                });
                return next(context);
            });
            if (Directory.Exists(root))
            {
                branch.UseStaticFiles(new StaticFileOptions
                {
                    FileProvider = new PhysicalFileProvider(root),
                    RequestPath = PathBase,
                    OnPrepareResponse = file =>
                    {
                        // Vite names assets by content hash: cache them for good; index.html must always be revalidated.
                        file.Context.Response.Headers.CacheControl = file.Context.Request.Path.StartsWithSegments(PathBase + "/assets")
                            ? "public, max-age=31536000, immutable"
                            : "no-cache";
                    },
                });
            }
        });

        // /app -> /app/ (routing ignores a trailing slash, so both reach the same handler); every extension-less path
        // under /app is the SPA's index.html (client-side routes); a missing asset is 404, not the page.
        IResult Serve(HttpContext context, string? path)
        {
            if (context.Request.Path.Value == PathBase)
            {
                return Results.Redirect(PathBase + "/" + context.Request.QueryString);
            }

            if (!File.Exists(index) || (path is not null && Path.HasExtension(path)))
            {
                return Results.NotFound();
            }

            context.Response.Headers.CacheControl = "no-cache";
            return Results.File(index, "text/html; charset=utf-8");
        }

        string[] methods = ["GET", "HEAD"];
        app.MapMethods(PathBase, methods, (HttpContext context) => Serve(context, null)).ExcludeFromDescription();
        app.MapMethods(PathBase + "/{**path}", methods, (HttpContext context, string? path) => Serve(context, path)).ExcludeFromDescription();
        return app;
    }
}

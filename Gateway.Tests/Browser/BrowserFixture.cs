using Microsoft.Playwright;

namespace Gateway.Tests.Browser;

/// <summary>
/// One Chromium for all browser tests (each test opens its own context: fresh storage, cookies, downloads). Debian's
/// Chromium (PITFALLS 37): no browser download is possible here. A missing browser or a missing app build fails
/// every browser test loudly; it never skips them (<c>scripts/test.sh</c> installs Chromium and builds the app).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <summary>Chromium's path: <c>GATEWAY_CHROMIUM</c>, else <c>/usr/bin/chromium</c>.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("GATEWAY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {ChromiumPath}: install it (apt-get install -y chromium; scripts/test.sh does) or set GATEWAY_CHROMIUM.");
        }

        _ = WebAppBuild.Root; // fails here, once, with the fix, when the app is not built
        Assertions.SetDefaultExpectTimeout(Webmail.Timeout); // generous: many gateways share two cores in CI
        _playwright = await Playwright.CreateAsync();
        // A launch (not a persistent context) runs on a fresh temporary user-data-dir that Playwright removes at close.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 60_000,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>Browser tests share one Chromium and run one after another (each against its own gateway and user); the
/// rest of the suite runs beside them.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}

/// <summary>Where the built SPA is (<c>scripts/build-app.sh</c> writes <c>Gateway.Api/wwwroot/app</c>):
/// <c>GATEWAY_WEBAPP_ROOT</c>, else found by walking up from the test binaries to the repository.</summary>
public static class WebAppBuild
{
    private static readonly Lazy<string> Located = new(Locate);

    public static string Root => Located.Value;

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("GATEWAY_WEBAPP_ROOT") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "index.html"))
                ? configured
                : throw new InvalidOperationException($"GATEWAY_WEBAPP_ROOT={configured} holds no index.html: run scripts/build-app.sh.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Gateway.Api", "wwwroot", "app");
            if (File.Exists(Path.Combine(candidate, "index.html")))
            {
                return candidate;
            }

            if (File.Exists(Path.Combine(dir.FullName, "Gateway.slnx")))
            {
                break;
            }
        }

        throw new InvalidOperationException("The webmail app is not built (no Gateway.Api/wwwroot/app/index.html): run scripts/build-app.sh.");
    }
}

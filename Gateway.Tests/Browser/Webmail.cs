using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Gateway.Tests.Browser;

/// <summary>
/// One browser test's world: a gateway on a real loopback port serving the built SPA, one Chromium context (fresh
/// storage), and every console error, page error and failed request the pages produce. Any of those fails the test
/// when it ends (<see cref="AssertCleanAsync"/>, also run on dispose).
/// </summary>
public sealed class Webmail : IAsyncDisposable
{
    /// <summary>Generous: the suite runs many gateways at once on two cores.</summary>
    public const float Timeout = 20_000;

    private readonly List<string> _errors = [];
    private readonly List<Func<string, bool>> _expected = [];

    private Webmail(GatewayApplication app, IBrowserContext context, IPage page, string baseUrl)
    {
        App = app;
        Context = context;
        Page = page;
        BaseUrl = baseUrl;
    }

    public GatewayApplication App { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>The gateway's origin, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; }

    private readonly List<string> _requests = [];

    /// <summary>Every request the pages made so far (URLs), in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToArray();
            }
        }
    }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToArray();
            }
        }
    }

    public static async Task<Webmail> StartAsync(BrowserFixture browser, Action<IDictionary<string, string?>>? configure = null, ViewportSize? viewport = null)
    {
        var app = new GatewayApplication(s =>
        {
            s["WebApp:Root"] = WebAppBuild.Root;
            configure?.Invoke(s);
        });
        app.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');

        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();
        var webmail = new Webmail(app, context, page, baseUrl);
        webmail.Watch(page);
        return webmail;
    }

    private void Watch(IPage page)
    {
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "assert")
            {
                Add($"console {message.Type}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Add("page error: " + error);
        page.Crash += (_, _) => Add("page crashed");
        page.Request += (_, request) =>
        {
            lock (_requests)
            {
                _requests.Add(request.Url);
            }
        };
        // A failed request is an error unless it was aborted on purpose (an EventSource closed, a page left).
        page.RequestFailed += (_, request) =>
        {
            if (request.Failure is { } failure && !failure.Contains("ERR_ABORTED", StringComparison.Ordinal))
            {
                Add($"request failed: {request.Method} {request.Url}: {failure}");
            }
        };
    }

    private void Add(string error)
    {
        lock (_errors)
        {
            if (!_expected.Any(expected => expected(error)))
            {
                _errors.Add(error);
            }
        }
    }

    /// <summary>Chromium logs every 4xx/5xx answer to a script's fetch as a console error: a test that provokes one on
    /// purpose (a wrong password) declares it, so it is not counted.</summary>
    public void ExpectError(Func<string, bool> expected)
    {
        lock (_errors)
        {
            _expected.Add(expected);
        }
    }

    /// <summary>Opens the app and signs in as <paramref name="user"/>; returns when the mailbox list is shown.</summary>
    public async Task LoginAsync(string user, string? password = null)
    {
        await Page.GotoAsync("/app/");
        await Page.GetByLabel("User name").FillAsync(user);
        await Page.GetByLabel("Password").FillAsync(password ?? MailEnvironment.TestPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Navigation, new() { Name = "Mailboxes" })).ToBeVisibleAsync();
    }

    /// <summary>The mailbox button in the tree whose name is <paramref name="name"/>.</summary>
    public ILocator Mailbox(string name) =>
        Page.Locator("nav.mailboxes button").Filter(new() { Has = Page.Locator(".name", new() { HasTextRegex = new($"^{System.Text.RegularExpressions.Regex.Escape(name)}$") }) });

    /// <summary>The list entry whose text contains <paramref name="subject"/>.</summary>
    public ILocator Row(string subject) => Page.Locator("section.list li[role=option]", new() { HasText = subject });

    public ILocator Rows => Page.Locator("section.list li[role=option]");

    public ILocator Reader => Page.Locator("section.reader article.message");

    /// <summary>Saves a screenshot of <paramref name="page"/> to <c>artifacts/screenshots/{name}.png</c>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(Artifacts.Root, "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }

    /// <summary>Fails when any page logged a console error, threw, or had a request fail.</summary>
    public Task AssertCleanAsync()
    {
        Assert.True(Errors.Count == 0, "Browser errors:\n" + string.Join("\n", Errors));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Context.CloseAsync();
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>The repository's <c>artifacts/</c> folder (test outputs CI keeps), found by walking up to Gateway.slnx.</summary>
public static class Artifacts
{
    public static string Root { get; } = Locate();

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.slnx")))
            {
                return Path.Combine(dir.FullName, "artifacts");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "artifacts");
    }
}

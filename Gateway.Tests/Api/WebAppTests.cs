using System.Net;
using Gateway.Api.Infrastructure;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

/// <summary>The SPA at /app (WebAppSetup), against a stand-in build in a temporary directory.</summary>
public sealed class WebAppTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("gateway-webapp-").FullName;

    public WebAppTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "assets"));
        File.WriteAllText(Path.Combine(root, "index.html"), "<!doctype html><title>spa</title>");
        File.WriteAllText(Path.Combine(root, "assets", "index-abc.js"), "export {};");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private GatewayApplication App(string? dir = null) => new(s => s["WebApp:Root"] = dir ?? root);

    [Theory]
    [InlineData("/app/")]
    [InlineData("/app/inbox/some-message")]
    public async Task ExtensionlessPaths_AnswerIndexHtml_WithTheCsp(string path)
    {
        await using var app = App();
        var response = await app.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<title>spa</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(WebAppSetup.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task App_RedirectsToTheTrailingSlash()
    {
        await using var app = App();
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/app");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/app/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Assets_AreServedImmutable_AndAMissingOneIs404()
    {
        await using var app = App();
        var client = app.CreateClient();

        var asset = await client.GetAsync("/app/assets/index-abc.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.True(asset.Headers.Contains("Content-Security-Policy"));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/app/assets/missing.js")).StatusCode);
    }

    [Fact]
    public async Task WithoutABuild_AppIs404_AndTheApiHasNoCsp()
    {
        await using var app = App(Path.Combine(root, "does-not-exist"));
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/app/")).StatusCode);
        Assert.False((await client.GetAsync("/health/live")).Headers.Contains("Content-Security-Policy"));
    }
}

using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Gateway.Tests.Api;

public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task SwaggerJson_LoadsWithoutDiagnostics_AndDescribesEveryOperation()
    {
        await using var app = new GatewayApplication();
        var client = app.CreateClient();

        await using var stream = await client.GetStreamAsync("/swagger/v1/swagger.json");
        var (document, diagnostic) = await OpenApiDocument.LoadAsync(stream, "json");

        Assert.NotNull(document);
        Assert.Empty(diagnostic?.Errors ?? []);
        Assert.Empty(diagnostic?.Warnings ?? []);
        Assert.Contains("Bearer", document!.Components!.SecuritySchemes!.Keys);

        var operations = document.Paths!.SelectMany(p => p.Value.Operations!.Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value))).ToList();
        Assert.Contains(operations, o => o.Path == "/api/v1/sessions" && o.Method == HttpMethod.Post);
        Assert.Contains(operations, o => o.Path == "/api/v1/accounts/{accountId}/mailboxes/{mailboxId}" && o.Method == HttpMethod.Patch);
        var ids = new HashSet<string>();
        foreach (var (path, method, operation) in operations)
        {
            Assert.False(string.IsNullOrEmpty(operation.OperationId), $"{method} {path} has no operationId");
            Assert.True(ids.Add(operation.OperationId!), $"duplicate operationId {operation.OperationId}");
            foreach (var (status, response) in operation.Responses!)
            {
                if (status.StartsWith('4') || status.StartsWith('5'))
                {
                    Assert.True(response.Content!.ContainsKey("application/problem+json"), $"{method} {path} {status} is not problem+json");
                }
            }

            var anonymous = path == "/api/v1/sessions" && method == HttpMethod.Post;
            Assert.Equal(!anonymous, operation.Security is { Count: > 0 });
        }
    }

    /// <summary>Saves the served document to <c>artifacts/openapi/swagger.json</c> (or <c>$OPENAPI_OUTPUT</c>) for
    /// <c>scripts/lint-openapi.sh</c>, which lints it with Spectral after the .NET tests.</summary>
    [Fact]
    public async Task SwaggerJson_IsSavedForTheLinter()
    {
        await using var app = new GatewayApplication();
        var json = await app.CreateClient().GetStringAsync("/swagger/v1/swagger.json");

        var path = Environment.GetEnvironmentVariable("OPENAPI_OUTPUT") is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryRoot(), "artifacts", "openapi", "swagger.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, json);

        using var parsed = JsonDocument.Parse(json);
        Assert.True(parsed.RootElement.TryGetProperty("openapi", out _));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gateway.slnx not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        await using var app = new GatewayApplication();
        var response = await app.CreateClient().GetAsync("/swagger/index.html");

        response.EnsureSuccessStatusCode();
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HealthAndMetrics_Answer()
    {
        await using var app = new GatewayApplication();
        var client = app.CreateClient();
        await app.LoginAsync();

        Assert.Equal("Healthy", await client.GetStringAsync("/health/live"));
        Assert.Equal("Healthy", await client.GetStringAsync("/health/ready"));
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("gateway_imap", metrics, StringComparison.Ordinal);
        using var _ = JsonDocument.Parse("{}");
    }
}

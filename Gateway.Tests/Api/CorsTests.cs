using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api;

public sealed class CorsTests
{
    private const string Allowed = "https://app.example";
    private const string Path = "/api/v1/accounts/me/mailboxes";

    private static GatewayApplication WithOrigins(params string[] origins) => new(s =>
    {
        for (var i = 0; i < origins.Length; i++)
        {
            s[$"Cors:AllowedOrigins:{i}"] = origins[i];
        }
    });

    private static HttpRequestMessage Preflight(string origin, string method = "GET", string headers = "authorization,if-none-match")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, Path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : string.Empty;

    private static bool HasCorsHeaders(HttpResponseMessage response) =>
        response.Headers.Any(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task Preflight_FromAnAllowedOrigin_AnswersMethodsHeadersAndMaxAge()
    {
        await using var app = WithOrigins("https://other.example", "https://APP.example/");
        var response = await app.CreateClient().SendAsync(Preflight(Allowed, "PATCH", "authorization,content-type,if-match,idempotency-key,last-event-id"));

        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("PATCH", Header(response, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        var allowedHeaders = Header(response, "Access-Control-Allow-Headers");
        foreach (var header in new[] { "authorization", "content-type", "if-match", "idempotency-key", "last-event-id" })
        {
            Assert.Contains(header, allowedHeaders, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
        Assert.Empty(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task Preflight_FromAnotherOrigin_GetsNoCorsHeaders()
    {
        await using var app = WithOrigins(Allowed);
        var response = await app.CreateClient().SendAsync(Preflight("https://evil.example"));

        Assert.False(HasCorsHeaders(response), string.Join("; ", response.Headers.Select(h => h.Key)));
    }

    [Fact]
    public async Task Get_FromAnAllowedOrigin_ExposesTheHeadersClientsNeed()
    {
        await using var app = WithOrigins(Allowed);
        var (client, _, _) = await app.LoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me/mailboxes/inbox/messages");
        request.Headers.Add("Origin", Allowed);

        var response = await client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Empty(Header(response, "Access-Control-Allow-Credentials"));
        var exposed = Header(response, "Access-Control-Expose-Headers");
        foreach (var header in new[] { "ETag", "Link", "Retry-After", "Location", "Idempotent-Replayed" })
        {
            Assert.Contains(header, exposed, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ByDefault_NoCorsHeaders()
    {
        await using var app = new GatewayApplication();
        var preflight = await app.CreateClient().SendAsync(Preflight(Allowed));
        Assert.False(HasCorsHeaders(preflight));

        var (client, _, _) = await app.LoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, Path);
        request.Headers.Add("Origin", Allowed);
        var response = await client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.False(HasCorsHeaders(response));
    }

    [Fact]
    public async Task AnyOrigin_AnswersStarWithoutCredentials()
    {
        await using var app = WithOrigins("*");
        var response = await app.CreateClient().SendAsync(Preflight("https://whoever.example"));

        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Empty(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("https://app.example/path")]
    [InlineData("app.example")]
    [InlineData("ftp://app.example")]
    [InlineData("https://app.example?x=1")]
    [InlineData("https://user@app.example")]
    public void Startup_BadOrigin_FailsNamingTheKey(string origin)
    {
        using var app = WithOrigins(origin);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(error.GetBaseException() as OptionsValidationException ?? error);
        Assert.Contains("Cors:AllowedOrigins", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_StarWithOtherOrigins_Fails()
    {
        using var app = WithOrigins("*", Allowed);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("'*' must be the only entry", error.ToString(), StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Sessions;

public sealed class SessionsApiTests
{
    [Fact]
    public async Task CreateSession_GoodCredentials_Returns201WithTokenAccountAndExpiry()
    {
        await using var app = new GatewayApplication();
        var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/v1/sessions", new { username = MailEnvironment.NewUser(), password = MailEnvironment.TestPassword });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var token = json.GetProperty("token").GetString()!;
        Assert.True(token.Length >= 22, "token carries at least 128 bits");
        Assert.Matches("^[A-Za-z0-9_-]{1,64}$", json.GetProperty("accountId").GetString()!);
        Assert.True(json.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task CreateSession_WrongPassword_Returns401UpstreamAuthFailed()
    {
        await using var app = new GatewayApplication();
        var response = await app.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { username = "alice@example.test", password = "not-her-password" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "upstream-auth-failed");
    }

    [Fact]
    public async Task CreateSession_PasswordWithQuotesBackslashesAndSpaces_Succeeds()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(MailEnvironment.QuoteUser, MailEnvironment.QuotePassword);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me");
        Assert.Equal(MailEnvironment.QuoteUser, me.GetProperty("username").GetString());
    }

    [Fact]
    public async Task CreateSession_ImapServerDown_Returns503WithRetryAfter()
    {
        await using var app = new GatewayApplication(s => s["Imap:Port"] = "1");
        var response = await app.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { username = MailEnvironment.NewUser(), password = "x" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(problem.GetProperty("retryable").GetBoolean());
    }

    [Fact]
    public async Task CreateSession_RepeatedFailures_Returns429WithRetryAfter()
    {
        await using var app = new GatewayApplication(s => s["Sessions:MaxFailedLogins"] = "3");
        var client = app.CreateClient();
        var user = "alice@example.test";
        var unique = MailEnvironment.NewUser("throttle");
        for (var i = 0; i < 3; i++)
        {
            var failed = await client.PostAsJsonAsync("/api/v1/sessions", new { username = unique, password = "wrong" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var refused = await client.PostAsJsonAsync("/api/v1/sessions", new { username = unique, password = MailEnvironment.TestPassword });
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.NotNull(refused.Headers.RetryAfter);

        // Another user from the same address is not affected.
        var other = await client.PostAsJsonAsync("/api/v1/sessions", new { username = user, password = "alice-password" });
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer garbage")]
    [InlineData("Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task ProtectedEndpoint_MissingOrBadToken_Returns401WithChallenge(string? authorization)
    {
        await using var app = new GatewayApplication();
        var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me/mailboxes");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task DeleteCurrentSession_ThenUseToken_Returns401()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/accounts/me")).StatusCode);

        var revoke = await client.DeleteAsync("/api/v1/sessions/current");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/accounts/me"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task GetMe_ReturnsCapabilitiesOfDovecotAndQuota()
    {
        await using var app = new GatewayApplication();
        var (client, accountId, _) = await app.LoginAsync();

        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me");

        Assert.Equal(accountId, me.GetProperty("accountId").GetString());
        var caps = me.GetProperty("capabilities");
        foreach (var yes in new[] { "condstore", "qresync", "sort", "thread", "idle", "notify", "move" })
        {
            Assert.True(caps.GetProperty(yes).GetBoolean(), yes);
        }

        Assert.False(caps.GetProperty("objectId").GetBoolean());
        Assert.True(caps.TryGetProperty("utf8", out _));
        Assert.True(me.GetProperty("quota").GetProperty("limitBytes").GetInt64() > 0);

        // The account id works in place of "me"; another account's id does not.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/accounts/{accountId}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/accounts/someoneElse123"), HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task Token_FromOneInstance_WorksOnAnotherSharingRedis()
    {
        await using var first = new GatewayApplication();
        await using var second = new GatewayApplication();
        var (_, accountId, token) = await first.LoginAsync();

        var client = second.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me");

        Assert.Equal(accountId, me.GetProperty("accountId").GetString());
    }

    [Fact]
    public async Task Gateway_WithoutRedis_RunsOnInProcessStores()
    {
        await using var app = new GatewayApplication(useRedis: false);
        var (client, _, _) = await app.LoginAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/accounts/me/mailboxes")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/sessions/current")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/accounts/me")).StatusCode);
    }

    [Fact]
    public async Task Gateway_OverTlsWithSelfSignedCertificateAllowed_LogsIn()
    {
        await using var app = new GatewayApplication(s =>
        {
            s["Imap:Port"] = MailEnvironment.ImapsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Imap:Security"] = "SslOnConnect";
            s["Imap:AllowInvalidCertificates"] = "true";
        });

        var (client, _, _) = await app.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/accounts/me")).StatusCode);
    }

    [Fact]
    public async Task Gateway_OverTlsWithSelfSignedCertificateRefused_Returns502()
    {
        await using var app = new GatewayApplication(s =>
        {
            s["Imap:Port"] = MailEnvironment.ImapsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Imap:Security"] = "SslOnConnect";
        });

        var response = await app.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { username = MailEnvironment.NewUser(), password = MailEnvironment.TestPassword });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadGateway, "upstream-protocol-error");
    }
}

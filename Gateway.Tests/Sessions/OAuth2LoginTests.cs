using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Sessions;

/// <summary>XOAUTH2 against the real Dovecot, whose oauth2 passdb validates JWTs signed with a local test key.</summary>
public sealed class OAuth2LoginTests
{
    [Fact]
    public async Task CreateSession_ValidAccessToken_LogsInWithXoauth2()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("oauth");
        var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/v1/sessions", new { username = user, accessToken = TestJwt.Create(user, TimeSpan.FromMinutes(10)) });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("token").GetString());
        var mailboxes = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes");
        Assert.Contains(mailboxes.GetProperty("items").EnumerateArray(), m => m.GetProperty("role").GetString() == "inbox");
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me");
        Assert.Equal(user, me.GetProperty("username").GetString());
    }

    [Fact]
    public async Task CreateSession_AccessTokenForPasswordUser_HasDistinctAccountFromPasswordLogin()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("both");
        var (_, passwordAccount, _) = await app.LoginAsync(user);

        var response = await app.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { username = user, accessToken = TestJwt.Create(user, TimeSpan.FromMinutes(10)) });
        var oauthAccount = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accountId").GetString();

        // Same mailbox store, but connections authenticated differently never share a pool.
        Assert.NotEqual(passwordAccount, oauthAccount);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("wrong-key")]
    [InlineData("other-subject")]
    public async Task CreateSession_BadAccessToken_Returns401UpstreamAuthFailed(string kind)
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("oauthbad");
        var token = kind switch
        {
            "expired" => TestJwt.Create(user, TimeSpan.FromMinutes(-10)),
            "wrong-key" => TestJwt.Create(user, TimeSpan.FromMinutes(10), key: "not-the-issuer-key-not-the-issuer-key"),
            _ => TestJwt.Create(MailEnvironment.NewUser("someone"), TimeSpan.FromMinutes(10)),
        };

        var response = await app.CreateClient().PostAsJsonAsync("/api/v1/sessions", new { username = user, accessToken = token });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "upstream-auth-failed");
    }
}

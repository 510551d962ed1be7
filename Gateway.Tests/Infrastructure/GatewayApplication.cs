using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway in process, pointed at the local Dovecot (and Redis unless told otherwise). Each test creates its own
/// application and its own IMAP user, so tests share nothing and run in any order.
/// </summary>
public sealed class GatewayApplication(Action<IDictionary<string, string?>>? configure = null, bool useRedis = true)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Imap:Host"] = MailEnvironment.ImapHost,
            ["Imap:Port"] = MailEnvironment.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Imap:Security"] = "None",
            ["Redis:Configuration"] = useRedis ? MailEnvironment.RedisConfiguration : string.Empty,
            ["RateLimiting:PermitsPerSecond"] = "0",
            // The suite runs many gateways at once on two cores: a busy Redis is not an outage here.
            ["Redis:OperationTimeout"] = "00:00:05",
        };
        configure?.Invoke(settings);
        builder.UseEnvironment("Development");
        // UseSetting, unlike ConfigureAppConfiguration, is visible while Program registers services.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>Logs in and returns a client that sends the bearer token, plus the session's account id.</summary>
    public async Task<(HttpClient Client, string AccountId, string Token)> LoginAsync(string? username = null, string? password = null)
    {
        username ??= MailEnvironment.NewUser();
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/sessions", new { username, password = password ?? MailEnvironment.TestPassword });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Login failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var session = await response.Content.ReadFromJsonAsync<SessionDto>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session!.Token);
        return (client, session.AccountId, session.Token);
    }

    public sealed record SessionDto(string Token, string AccountId, DateTimeOffset ExpiresAt);
}

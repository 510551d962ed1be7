using System.Net;
using Gateway.Core.Imap;
using Gateway.Tests.Imap;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Mailboxes;

/// <summary>The pool seen from HTTP: many concurrent requests of one account share at most the cap of connections.</summary>
public sealed class PoolThroughApiTests
{
    [Fact]
    public async Task FiftyConcurrentRequests_OneAccount_NeverExceedCapOnServer()
    {
        await using var app = new GatewayApplication(s => s["Pool:MaxConnectionsPerAccount"] = "3");
        var user = MailEnvironment.NewUser("cap");
        var (client, _, _) = await app.LoginAsync(user);

        var peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, await ImapTestServer.CountServerConnectionsAsync(user));
                await Task.Delay(20);
            }
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            i % 2 == 0 ? client.GetAsync("/api/v1/accounts/me/mailboxes") : client.GetAsync("/api/v1/accounts/me/mailboxes/inbox")));
        await sampling.CancelAsync();
        await sampler;

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.InRange(peak, 1, 3);
        var pool = app.Services.GetRequiredService<IImapSessionPool>();
        var stats = pool.GetStats(new ImapAccountKey(MailEnvironment.ImapHost, MailEnvironment.ImapPort, ImapSecurity.None, user, ImapAuthMethod.Password));
        Assert.InRange(stats.OpenConnections, 1, 3);
        Assert.InRange(stats.Logins, 1, 3);
    }
}

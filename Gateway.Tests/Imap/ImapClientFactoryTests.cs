using Gateway.Core.Errors;
using Gateway.Core.Imap;
using MailKit.Net.Imap;

namespace Gateway.Tests.Imap;

/// <summary>Connect, TLS, login and error mapping against the real local Dovecot.</summary>
public sealed class ImapClientFactoryTests
{
    [Fact]
    public async Task ConnectAsync_ImplicitTlsWithInvalidCertificatesAllowed_Connects()
    {
        var account = ImapTestServer.NewAccount(ImapSecurity.SslOnConnect, ImapTestServer.TlsPort);

        using var client = await ImapTestServer.Factory(allowInvalidCertificates: true).ConnectAsync(account, null, CancellationToken.None);

        Assert.True(client.IsSecure);
        Assert.True(client.IsAuthenticated);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task ConnectAsync_StartTlsWithInvalidCertificatesAllowed_Connects()
    {
        var account = ImapTestServer.NewAccount(ImapSecurity.StartTls);

        using var client = await ImapTestServer.Factory(allowInvalidCertificates: true).ConnectAsync(account, null, CancellationToken.None);

        Assert.True(client.IsSecure);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task ConnectAsync_SelfSignedCertificateNotAllowed_ThrowsUpstreamProtocol()
    {
        var account = ImapTestServer.NewAccount(ImapSecurity.SslOnConnect, ImapTestServer.TlsPort);

        await Assert.ThrowsAsync<UpstreamProtocolException>(
            () => ImapTestServer.Factory(allowInvalidCertificates: false).ConnectAsync(account, null, CancellationToken.None));
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_ThrowsUpstreamAuthentication()
    {
        var account = ImapTestServer.NewAccount(password: "not-the-password");

        await Assert.ThrowsAsync<UpstreamAuthenticationException>(
            () => ImapTestServer.Factory().ConnectAsync(account, null, CancellationToken.None));
    }

    [Fact]
    public async Task ConnectAsync_ClosedPort_ThrowsUpstreamUnavailableWithRetryAfter()
    {
        var account = ImapTestServer.NewAccount(port: 1);

        var error = await Assert.ThrowsAsync<UpstreamUnavailableException>(
            () => ImapTestServer.Factory().ConnectAsync(account, null, CancellationToken.None));

        Assert.True(error.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task ConnectAsync_ServerConnectionLimitReached_ThrowsUpstreamUnavailable()
    {
        // Dovecot here runs with mail_max_userip_connections = 20 (scripts/mailenv.sh).
        var account = ImapTestServer.NewAccount();
        var factory = ImapTestServer.Factory();
        var clients = new List<ImapClient>();
        try
        {
            UpstreamUnavailableException? refused = null;
            for (int i = 0; i < 40 && refused is null; i++)
            {
                try
                {
                    clients.Add(await factory.ConnectAsync(account, null, CancellationToken.None));
                }
                catch (UpstreamUnavailableException ex)
                {
                    refused = ex;
                }
            }

            Assert.NotNull(refused);
            Assert.Equal("LIMIT", refused.ImapCode);
            Assert.True(refused.RetryAfter > TimeSpan.Zero);
            Assert.Equal(clients.Count, await ImapTestServer.CountServerConnectionsAsync(account.Username));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task ConnectAsync_ServerOffersQresync_EnablesItRightAfterLogin()
    {
        var account = ImapTestServer.NewAccount();
        var observer = new RecordingObserver();

        using var client = await ImapTestServer.Factory().ConnectAsync(account, observer, CancellationToken.None);

        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.QuickResync));
        Assert.Equal(1, observer.Count("ENABLE"));
        Assert.Equal(0, observer.Count("SELECT") + observer.Count("EXAMINE"));
        Assert.Equal(1, observer.Count("AUTHENTICATE"));
        await client.DisconnectAsync(true);
    }
}

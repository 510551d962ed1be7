using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using MailKit.Net.Imap;
using MailKit.Security;

namespace Gateway.Tests.Imap;

/// <summary>A dropped connection is a retryable outage (503); garbage from the server stays a protocol error (502).
/// Pins the MailKit behaviour the distinction rests on: an end of stream is an <see cref="ImapProtocolException"/>
/// with a fixed text.</summary>
public sealed class ImapErrorsTests
{
    private static readonly ImapAccountKey Key = new("127.0.0.1", 143, ImapSecurity.None, "user", ImapAuthMethod.Password);

    [Fact]
    public async Task Translate_ServerClosesTheConnection_UpstreamUnavailableWithRetryAfter()
    {
        var error = await ConnectToAsync(send: null);

        Assert.True(ImapErrors.IsDroppedConnection(error), error.Message);
        var translated = Assert.IsType<UpstreamUnavailableException>(ImapErrors.Translate(error, Key));
        Assert.True(translated.Retryable);
        Assert.Equal(ImapErrors.UnavailableRetryAfter, translated.RetryAfter);
    }

    [Fact]
    public async Task Translate_ServerSendsGarbage_UpstreamProtocolError()
    {
        var error = await ConnectToAsync(send: "\u0001\u0002 NOT IMAP AT ALL ((\r\n");

        Assert.False(ImapErrors.IsDroppedConnection(error), error.Message);
        Assert.IsType<UpstreamProtocolException>(ImapErrors.Translate(error, Key));
    }

    [Fact]
    public void Translate_IoErrors_UpstreamUnavailable()
    {
        Assert.IsType<UpstreamUnavailableException>(ImapErrors.Translate(new IOException("reset"), Key));
        Assert.IsType<UpstreamUnavailableException>(ImapErrors.Translate(new SocketException((int)SocketError.ConnectionReset), Key));
        Assert.True(ImapErrors.IsDroppedConnection(new ImapProtocolException("wrapped", new IOException("reset"))));
    }

    /// <summary>Connects MailKit to a one-shot loopback server that sends <paramref name="send"/> (or nothing) and
    /// closes; returns what MailKit threw.</summary>
    private static async Task<ImapProtocolException> ConnectToAsync(string? send)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            if (send is not null)
            {
                await socket.GetStream().WriteAsync(Encoding.Latin1.GetBytes(send));
                await socket.GetStream().FlushAsync();
            }
        });

        using var client = new ImapClient();
        var error = await Assert.ThrowsAsync<ImapProtocolException>(
            () => client.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, SecureSocketOptions.None));
        await serving;
        Assert.False(client.IsConnected);
        return error;
    }
}

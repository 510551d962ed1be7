using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Gateway.Tests.Infrastructure;

/// <summary>The fault-injection proxy itself, against the real Dovecot: it passes sessions through unchanged (literals
/// both ways), logs commands, and cuts exactly where it is told.</summary>
public sealed class FaultProxyTests
{
    [Fact]
    public async Task FaultProxy_Unarmed_PassesSessionThroughAndLogsCommands()
    {
        var user = MailEnvironment.NewUser("proxy");
        await using var proxy = FaultProxy.Start();
        using var client = await ConnectAsync(proxy, user);
        var uid = await client.Inbox.AppendAsync(new AppendRequest(Message("pass-through"), MessageFlags.Seen));
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var fetched = await client.Inbox.FetchAsync([uid!.Value], MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Headers);
        await client.DisconnectAsync(quit: true);

        Assert.Equal("pass-through", fetched.Single().Headers![HeaderId.Subject]);
        Assert.Contains(proxy.Commands, c => c.Contains(" LOGIN ***", StringComparison.Ordinal) || c.Contains(" AUTHENTICATE ***", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Commands, c => c.Contains(MailEnvironment.TestPassword, StringComparison.Ordinal));
        Assert.Contains(proxy.Commands, c => FaultProxy.Command("APPEND")(c[(c.IndexOf(' ', StringComparison.Ordinal) + 1)..]));
        Assert.Contains(proxy.Commands, c => c.Contains(" UID FETCH ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FaultProxy_CutAfterResponse_ServerExecutedButClientSawNoAnswer()
    {
        var user = MailEnvironment.NewUser("proxy");
        await using var proxy = FaultProxy.Start();
        var rule = proxy.CutAfterResponse(FaultProxy.Command("APPEND"));
        using var client = await ConnectAsync(proxy, user);

        await Assert.ThrowsAnyAsync<Exception>(() => client.Inbox.AppendAsync(new AppendRequest(Message("after-response"), MessageFlags.None)));

        Assert.True(rule.Fired);
        Assert.False(client.IsConnected);
        Assert.Equal(1, await CountAsync(user));
    }

    [Fact]
    public async Task FaultProxy_CutBeforeCommand_ServerNeverSawIt()
    {
        var user = MailEnvironment.NewUser("proxy");
        await using var proxy = FaultProxy.Start();
        var rule = proxy.CutBeforeCommand(FaultProxy.Command("APPEND"));
        using var client = await ConnectAsync(proxy, user);

        await Assert.ThrowsAnyAsync<Exception>(() => client.Inbox.AppendAsync(new AppendRequest(Message("before"), MessageFlags.None)));

        Assert.True(rule.Fired);
        Assert.Equal(0, await CountAsync(user));
    }

    [Fact]
    public async Task FaultProxy_CutAfterClientLiteralWithoutCommandEnd_ServerStoresNothing()
    {
        var user = MailEnvironment.NewUser("proxy");
        await using var proxy = FaultProxy.Start();
        var rule = proxy.CutAfterClientLiteral(FaultProxy.Command("APPEND"), withCommandEnd: false);
        using var client = await ConnectAsync(proxy, user);

        await Assert.ThrowsAnyAsync<Exception>(() => client.Inbox.AppendAsync(new AppendRequest(Message("literal"), MessageFlags.None)));

        Assert.True(rule.Fired);
        await Task.Delay(200); // let Dovecot notice the disconnect
        Assert.Equal(0, await CountAsync(user));
    }

    [Fact]
    public async Task FaultProxy_SecondOccurrence_FirstPassesThrough()
    {
        var user = MailEnvironment.NewUser("proxy");
        await using var proxy = FaultProxy.Start();
        var rule = proxy.CutAfterResponse(FaultProxy.Command("NOOP"), occurrence: 2);
        using var client = await ConnectAsync(proxy, user);

        await client.NoOpAsync();
        Assert.False(rule.Fired);
        await Assert.ThrowsAnyAsync<Exception>(() => client.NoOpAsync());
        Assert.True(rule.Fired);
    }

    private static async Task<ImapClient> ConnectAsync(FaultProxy proxy, string user)
    {
        var client = new ImapClient { Timeout = 10_000 };
        await client.ConnectAsync("127.0.0.1", proxy.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, MailEnvironment.TestPassword);
        return client;
    }

    private static async Task<int> CountAsync(string user)
    {
        await using var imap = await TestImap.ConnectAsync(user);
        return (await imap.ExamineAsync("INBOX")).Count;
    }

    private static MimeMessage Message(string subject) =>
        new([new MailboxAddress("A", "a@example.test")], [new MailboxAddress("B", "b@example.test")], subject, new TextPart("plain") { Text = "Body of " + subject + "\r\n" + new string('x', 5000) });
}

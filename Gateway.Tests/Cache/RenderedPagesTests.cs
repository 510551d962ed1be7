using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cache;

/// <summary>A page sent again from its rendering (same state, same query) is the same page, headers included; any
/// change to the mailbox makes a new one.</summary>
public sealed class RenderedPagesTests
{
    [Fact]
    public async Task A_repeated_page_is_identical_and_a_change_is_never_hidden()
    {
        var user = MailEnvironment.NewUser("rendered");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("INBOX", 30);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var inbox = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        await client.GetAsync("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=10");
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(
            new MailboxCacheKey(inbox.GetProperty("id").GetString()!, (uint)inbox.GetProperty("uidValidity").GetInt64()));

        var first = await client.GetAsync("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=10");
        var second = await client.GetAsync("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=10");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(first.Headers.GetValues("Link"), second.Headers.GetValues("Link"));
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);

        var folder = await imap.SelectAsync("INBOX");
        await folder.AddFlagsAsync(new UniqueId(30), MessageFlags.Flagged, silent: true);
        var third = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=10");
        Assert.True(third.GetProperty("items")[0].GetProperty("flagged").GetBoolean());

        await imap.AppendGeneratedAsync("INBOX", 1, seed: 5);
        var fourth = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=10");
        Assert.Equal(31, fourth.GetProperty("items")[0].GetProperty("uid").GetInt64());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Mailboxes;

/// <summary>Mailbox counts follow other clients' changes even when the pooled connection has that mailbox selected.</summary>
public sealed class MailboxCountsTests
{
    [Fact]
    public async Task Counts_include_another_clients_append_after_a_listing_selected_the_mailbox()
    {
        var user = MailEnvironment.NewUser("counts");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("INBOX", 3);
        await using var app = new GatewayApplication(s => s["Pool:MaxConnectionsPerAccount"] = "1");
        var (client, _, _) = await app.LoginAsync(user);

        // The listing leaves INBOX selected on the account's only connection.
        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox/messages");
        Assert.Equal(3, page.GetProperty("items").GetArrayLength());
        await imap.AppendGeneratedAsync("INBOX", 2, seed: 9);

        var inbox = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        Assert.Equal(5, inbox.GetProperty("total").GetInt64());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes");
        Assert.Equal(5, list.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("role").GetString() == "inbox").GetProperty("total").GetInt64());
    }
}

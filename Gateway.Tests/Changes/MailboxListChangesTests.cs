using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using MailKit;

namespace Gateway.Tests.Changes;

/// <summary><c>GET .../mailboxes/changes</c> after another IMAP client reshaped the mailbox list.</summary>
public sealed class MailboxListChangesTests
{
    private sealed record RenameDto(string From, string To);

    private sealed record ChangesDto(
        string OldState, string NewState, bool HasMoreChanges, List<string> Created, List<string> Updated, List<string> Destroyed,
        List<string>? UpdatedProperties, List<RenameDto> Renamed);

    private static async Task<(string State, Dictionary<string, string> IdsByPath)> ListAsync(HttpClient client)
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes");
        return (list.GetProperty("state").GetString()!,
            list.GetProperty("items").EnumerateArray().ToDictionary(m => m.GetProperty("path").GetString()!, m => m.GetProperty("id").GetString()!));
    }

    private static async Task<ChangesDto> ChangesAsync(HttpClient client, string since)
    {
        var response = await client.GetAsync($"/api/v1/accounts/me/mailboxes/changes?since={since}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ChangesDto>())!;
    }

    [Fact]
    public async Task Created_renamed_deleted_and_recounted_mailboxes_are_reported_across_instances()
    {
        var user = MailEnvironment.NewUser("mbchanges");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("Keep", 2, seed: 1);
        await imap.AppendGeneratedAsync("Old", 3, seed: 2);
        await imap.FolderAsync("Doomed");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var (state, before) = await ListAsync(client);

        var unchanged = await ChangesAsync(client, state);
        Assert.Equal(state, unchanged.NewState);
        Assert.Empty(unchanged.Created.Concat(unchanged.Updated).Concat(unchanged.Destroyed));

        await imap.AppendGeneratedAsync("Keep", 1, seed: 3);
        await imap.FolderAsync("Fresh");
        await (await imap.FolderAsync("Old")).RenameAsync(imap.Client.GetFolder(imap.Client.PersonalNamespaces[0]), "Renamed");
        await (await imap.FolderAsync("Doomed")).DeleteAsync();

        // Asked on another instance sharing the Redis: the state is known there too.
        await using var other = new GatewayApplication();
        var (otherClient, _, _) = await other.LoginAsync(user);
        var changes = await ChangesAsync(otherClient, state);
        var (now, after) = await ListAsync(client);
        Assert.True(now == changes.NewState, await client.GetStringAsync("/api/v1/accounts/me/mailboxes") + "\n" + await otherClient.GetStringAsync("/api/v1/accounts/me/mailboxes"));
        Assert.False(changes.HasMoreChanges);
        Assert.Equal(new[] { after["Fresh"], after["Renamed"] }.Order(), changes.Created.Order());
        Assert.Equal(new[] { before["Doomed"], before["Old"] }.Order(), changes.Destroyed.Order());
        Assert.Equal([before["Keep"]], changes.Updated);
        Assert.Contains("total", changes.UpdatedProperties!);
        Assert.All(changes.UpdatedProperties!, p => Assert.True(p is "total" or "unread", p));
        Assert.Equal([new RenameDto(before["Old"], after["Renamed"])], changes.Renamed);

        var none = await ChangesAsync(client, changes.NewState);
        Assert.Empty(none.Created.Concat(none.Updated).Concat(none.Destroyed));
    }

    [Fact]
    public async Task An_unknown_state_is_410_and_a_malformed_one_400()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync();
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/accounts/me/mailboxes/changes?since=AAAAAAAAAAAAAAAAAAAAAA"), HttpStatusCode.Gone, "cannot-calculate-changes");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/accounts/me/mailboxes/changes?since=x%0d%0a"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/accounts/me/mailboxes/changes"), HttpStatusCode.BadRequest, "validation-failed");
    }
}

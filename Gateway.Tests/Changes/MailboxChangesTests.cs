using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Tests.Changes;

/// <summary><c>GET .../mailboxes/{id}/changes</c> against changes made by another IMAP client on the real Dovecot.</summary>
public sealed class MailboxChangesTests
{
    private const string Path = "Sync";

    private sealed record ChangesDto(string OldState, string NewState, bool HasMoreChanges, List<string> Created, List<string> Updated, List<string> Destroyed);

    private static string Url(string mailboxId, string since, int? maxChanges = null) =>
        $"/api/v1/accounts/me/mailboxes/{mailboxId}/changes?since={Uri.EscapeDataString(since)}" + (maxChanges is { } m ? $"&maxChanges={m}" : string.Empty);

    private static async Task<ChangesDto> ChangesAsync(HttpClient client, string mailboxId, string since, int? maxChanges = null)
    {
        var response = await client.GetAsync(Url(mailboxId, since, maxChanges));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ChangesDto>())!;
    }

    /// <summary>Every page from <paramref name="since"/> until hasMoreChanges is false, merged.</summary>
    private static async Task<(ChangesDto Last, List<string> Created, List<string> Updated, List<string> Destroyed, int Pages)> AllChangesAsync(
        HttpClient client, string mailboxId, string since, int? maxChanges = null)
    {
        List<string> created = [], updated = [], destroyed = [];
        var pages = 0;
        while (true)
        {
            var page = await ChangesAsync(client, mailboxId, since, maxChanges);
            pages++;
            Assert.Equal(since, page.OldState);
            if (maxChanges is { } m)
            {
                Assert.True(page.Created.Count + page.Updated.Count + page.Destroyed.Count <= m, "maxChanges exceeded");
            }

            created.AddRange(page.Created);
            updated.AddRange(page.Updated);
            destroyed.AddRange(page.Destroyed);
            if (!page.HasMoreChanges)
            {
                return (page, created, updated, destroyed, pages);
            }

            Assert.NotEqual(since, page.NewState);
            since = page.NewState;
        }
    }

    private static string Id(string mailboxId, uint uidValidity, uint uid) =>
        Gateway.Core.Messages.MessageIds.For(mailboxId, uidValidity, uid);

    [Fact]
    public async Task Changes_by_another_client_are_listed_exactly_then_nothing()
    {
        var user = MailEnvironment.NewUser("changes");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync(Path, 10, seed: 7);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var first = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        var state = first.State!;
        var uidValidity = Listing.ParseMessageId(first.Items[0].GetProperty("id").GetString()!).UidValidity;

        var unchanged = await ChangesAsync(client, mailboxId, state);
        Assert.Equal(state, unchanged.NewState);
        Assert.False(unchanged.HasMoreChanges);
        Assert.Empty(unchanged.Created.Concat(unchanged.Updated).Concat(unchanged.Destroyed));

        // Another client: 2 appends, a flag on one old message, a keyword on another, an expunge, a move away, and an
        // append that it expunges again (created and destroyed in between: reported nowhere).
        var appended = await imap.AppendGeneratedAsync(Path, 2, seed: 8);
        var transient = (await imap.AppendGeneratedAsync(Path, 1, seed: 9))[0];
        var folder = await imap.SelectAsync(Path);
        await folder.AddFlagsAsync(new UniqueId(uids[1]), MessageFlags.Flagged, silent: true);
        await folder.AddFlagsAsync(new UniqueId(uids[2]), MessageFlags.None, new HashSet<string> { "$Label1" }, silent: true);
        await folder.AddFlagsAsync([new UniqueId(uids[3]), new UniqueId(transient)], MessageFlags.Deleted, silent: true);
        await folder.ExpungeAsync([new UniqueId(uids[3]), new UniqueId(transient)]);
        var elsewhere = await imap.FolderAsync("Elsewhere");
        await folder.MoveToAsync(new UniqueId(uids[4]), elsewhere);

        var changes = await ChangesAsync(client, mailboxId, state);
        Assert.False(changes.HasMoreChanges);
        Assert.Equal(appended.Select(u => Id(mailboxId, uidValidity, u)).Order(), changes.Created.Order());
        Assert.Equal(new[] { uids[1], uids[2] }.Select(u => Id(mailboxId, uidValidity, u)).Order(), changes.Updated.Order());
        Assert.Equal(new[] { uids[3], uids[4] }.Select(u => Id(mailboxId, uidValidity, u)).Order(), changes.Destroyed.Order());

        // The new state is the listing's state now, and nothing changed since it.
        var now = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        Assert.Equal(now.State, changes.NewState);
        var none = await ChangesAsync(client, mailboxId, changes.NewState);
        Assert.Empty(none.Created.Concat(none.Updated).Concat(none.Destroyed));
        Assert.Equal(changes.NewState, none.NewState);
    }

    [Fact]
    public async Task MaxChanges_pages_the_same_changes_without_loss_or_duplicates()
    {
        var user = MailEnvironment.NewUser("chgpage");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync(Path, 12, seed: 3);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var state = (await Listing.PageAsync(client, mailboxId, "pageSize=5")).State!;

        await imap.AppendGeneratedAsync(Path, 5, seed: 4);
        var folder = await imap.SelectAsync(Path);
        await folder.AddFlagsAsync(uids.Take(4).Select(u => new UniqueId(u)).ToList(), MessageFlags.None, new HashSet<string> { "$Paged" }, silent: true);
        var gone = uids.Skip(6).Take(3).Select(u => new UniqueId(u)).ToList();
        await folder.AddFlagsAsync(gone, MessageFlags.Deleted, silent: true);
        await folder.ExpungeAsync(gone);

        var whole = await AllChangesAsync(client, mailboxId, state);
        Assert.Equal(1, whole.Pages);
        Assert.Equal((5, 4, 3), (whole.Created.Count, whole.Updated.Count, whole.Destroyed.Count));

        // In pages of 2, with a change made between two pages (it belongs to the next series, not lost).
        var paged = new List<string>();
        var since = state;
        ChangesDto page;
        var pages = 0;
        do
        {
            page = await ChangesAsync(client, mailboxId, since, 2);
            Assert.True(page.Created.Count + page.Updated.Count + page.Destroyed.Count <= 2);
            paged.AddRange(page.Destroyed.Select(i => "d" + i).Concat(page.Created.Select(i => "c" + i)).Concat(page.Updated.Select(i => "u" + i)));
            if (pages++ == 1)
            {
                await folder.AddFlagsAsync(new UniqueId(uids[11]), MessageFlags.Flagged, silent: true);
            }

            since = page.NewState;
        }
        while (page.HasMoreChanges);

        var expected = whole.Destroyed.Select(i => "d" + i).Concat(whole.Created.Select(i => "c" + i)).Concat(whole.Updated.Select(i => "u" + i)).ToList();
        Assert.Equal(expected.Order(), paged.Order());
        Assert.Equal(paged.Count, paged.Distinct().Count());
        Assert.Equal(6, pages);

        var next = await ChangesAsync(client, mailboxId, since);
        Assert.Contains(Id(mailboxId, Listing.ParseMessageId(whole.Updated[0]).UidValidity, uids[11]), next.Updated);
    }

    [Fact]
    public async Task A_state_from_before_the_mailbox_was_recreated_is_410_and_bad_input_is_400()
    {
        var user = MailEnvironment.NewUser("chg410");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 3, seed: 5);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var state = (await Listing.PageAsync(client, mailboxId, "pageSize=5")).State!;

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}/changes"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Url(mailboxId, "not-a-state")), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Url(mailboxId, state, 0)), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Url("no-such-mailbox", state)), HttpStatusCode.NotFound, "mailbox-not-found");

        await (await imap.FolderAsync(Path)).DeleteAsync();
        await using var other = await TestImap.ConnectAsync(user);
        await other.AppendGeneratedAsync(Path, 2, seed: 6);
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Url(mailboxId, state)), HttpStatusCode.Gone, "cannot-calculate-changes");
    }

    /// <summary>Random operations by another client; after each round the gateway's deltas, applied to a copy, give
    /// exactly what a fresh full listing gives.</summary>
    [Theory]
    [InlineData(11)]
    [InlineData(29)]
    public async Task A_copy_kept_by_applying_the_deltas_equals_a_fresh_listing(int seed)
    {
        var random = new Random(seed);
        var user = MailEnvironment.NewUser("chgprop");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 15, seed: seed);
        var away = await imap.FolderAsync("Away");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);

        var copy = new Dictionary<string, string>();
        var state = await SnapshotAsync(client, mailboxId, copy);
        var appendSeed = 1000;
        for (var round = 0; round < 5; round++)
        {
            var folder = await imap.SelectAsync(Path);
            var present = (await folder.SearchAsync(MailKit.Search.SearchQuery.All)).ToList();
            for (var op = 0; op < 6; op++)
            {
                var target = present.Count > 0 ? present[random.Next(present.Count)] : (UniqueId?)null;
                switch (random.Next(6))
                {
                    case 0:
                        await imap.AppendGeneratedAsync(Path, random.Next(1, 3), seed: appendSeed++);
                        folder = await imap.SelectAsync(Path);
                        break;
                    case 1 when target is { } t:
                        await folder.AddFlagsAsync(t, MessageFlags.Seen, silent: true);
                        break;
                    case 2 when target is { } t:
                        await folder.SetFlagsAsync(t, MessageFlags.Flagged, new HashSet<string> { "$Todo" }, silent: true);
                        break;
                    case 3 when target is { } t:
                        await folder.AddFlagsAsync(t, MessageFlags.Deleted, silent: true);
                        await folder.ExpungeAsync([t]);
                        present.Remove(t);
                        break;
                    case 4 when target is { } t:
                        await folder.MoveToAsync(t, away);
                        present.Remove(t);
                        break;
                    default:
                        await folder.RemoveFlagsAsync(present, MessageFlags.Seen, silent: true);
                        break;
                }
            }

            var changes = await AllChangesAsync(client, mailboxId, state, maxChanges: random.Next(1, 6));
            foreach (var id in changes.Destroyed)
            {
                copy.Remove(id);
            }

            foreach (var id in changes.Created.Concat(changes.Updated))
            {
                var message = await client.GetAsync($"/api/v1/accounts/me/messages/{id}");
                Assert.Equal(HttpStatusCode.OK, message.StatusCode);
                copy[id] = Describe(await message.Content.ReadFromJsonAsync<JsonElement>());
            }

            state = changes.Last.NewState;
            var fresh = new Dictionary<string, string>();
            await SnapshotAsync(client, mailboxId, fresh);
            Assert.Equal(fresh.OrderBy(p => p.Key, StringComparer.Ordinal), copy.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    private static async Task<string> SnapshotAsync(HttpClient client, string mailboxId, Dictionary<string, string> into)
    {
        var first = await Listing.PageAsync(client, mailboxId, "pageSize=500");
        Assert.Null(first.NextPageToken);
        foreach (var item in first.Items)
        {
            into[item.GetProperty("id").GetString()!] = Describe(item);
        }

        return first.State!;
    }

    private static string Describe(JsonElement m) =>
        $"{m.GetProperty("seen").GetBoolean()}/{m.GetProperty("flagged").GetBoolean()}/{string.Join(',', m.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()).Order(StringComparer.Ordinal))}";
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gateway.Tests.Writes;

/// <summary>
/// Read-your-writes across instances: two gateways on real sockets share one Redis; both have the mailbox's page
/// cached; a write on A shows on B's very next listing or read, and B pays only its freshness check for it (the write
/// itself brought the shared header cache up to date).
/// </summary>
public sealed class ReadYourWritesTests
{
    [Fact]
    public async Task WriteOnOneInstance_ShowsOnTheOthersNextListing_FromTheSharedCache()
    {
        var user = MailEnvironment.NewUser("ryw");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync("Shared", 30);
        await using var a = Started(new GatewayApplication());
        await using var b = Started(new GatewayApplication());

        var (clientA, _, token) = await a.LoginAsync(user);
        using var clientB = b.CreateClient();
        clientB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token); // A's session works on B
        Assert.NotEqual(clientA.BaseAddress, clientB.BaseAddress);
        Assert.Equal("127.0.0.1", clientB.BaseAddress!.Host);

        var mailboxId = await Listing.MailboxIdAsync(clientA, "Shared");
        await Listing.PageAsync(clientA, mailboxId, "pageSize=50"); // cold: from IMAP, starts the fill
        await WaitForCompleteCacheAsync(clientA, mailboxId);
        var counterB = new CommandCounter(b, user);
        foreach (var client in new[] { clientA, clientB, clientB })
        {
            await Listing.PageAsync(client, mailboxId, "pageSize=50");
        }

        // PATCH on A: B's next listing shows the flag, with nothing but its freshness check.
        var target = uids[^1];
        var id = await IdOfAsync(clientB, mailboxId, target);
        await WriteHttp.JsonAsync(await WriteHttp.PatchAsync(clientA, id, new { flagged = true, seen = true }), HttpStatusCode.OK);
        counterB.Reset();
        var item = Item(await Listing.PageAsync(clientB, mailboxId, "pageSize=50"), target);
        AssertOnlyFreshnessCheck(counterB, "after PATCH");
        Assert.True(item.GetProperty("flagged").GetBoolean());
        Assert.True(item.GetProperty("seen").GetBoolean());
        var message = await clientB.GetAsync(WriteHttp.MessageUrl(id));
        Assert.True((await WriteHttp.JsonAsync(message, HttpStatusCode.OK)).GetProperty("flagged").GetBoolean());
        Assert.NotNull(message.Headers.ETag);

        // Batch on A.
        var batchUids = new[] { uids[0], uids[1], uids[2] };
        var batchIds = new List<string>();
        foreach (var uid in batchUids)
        {
            batchIds.Add(await IdOfAsync(clientA, mailboxId, uid));
        }

        await WriteHttp.JsonAsync(await WriteHttp.PostAsync(clientA, "/api/v1/accounts/me/messages/batch", new { ids = batchIds, flagged = true }), HttpStatusCode.MultiStatus);
        counterB.Reset();
        var all = await Listing.AllAsync(clientB, mailboxId, "pageSize=100");
        AssertOnlyFreshnessCheck(counterB, "after batch");
        Assert.All(batchUids, uid => Assert.True(Item(all, uid).GetProperty("flagged").GetBoolean()));
        Assert.Equal(4, (await Listing.AllAsync(clientB, mailboxId, "flagged=true&pageSize=100")).Count);

        // Move and delete on A: gone from B's listing at once; the moved one is in B's listing of the target.
        var moved = uids[10];
        var deleted = uids[11];
        var movedId = await IdOfAsync(clientA, mailboxId, moved);
        var moveAnswer = await WriteHttp.JsonAsync(await WriteHttp.PostAsync(clientA, WriteHttp.MessageUrl(movedId) + "/move", new { mailboxId = "archive" }), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await WriteHttp.SendAsync(clientA, HttpMethod.Delete, WriteHttp.MessageUrl(await IdOfAsync(clientA, mailboxId, deleted)), null)).StatusCode);
        counterB.Reset();
        all = await Listing.AllAsync(clientB, mailboxId, "pageSize=100");
        AssertOnlyFreshnessCheck(counterB, "after move and delete");
        Assert.Equal(28, all.Count);
        Assert.DoesNotContain(moved, Listing.Uids(all));
        Assert.DoesNotContain(deleted, Listing.Uids(all));

        // Mark all read on A: every item on B is seen, and the mailbox counts say so.
        Assert.Equal(HttpStatusCode.NoContent, (await clientA.PostAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}/mark-read", null)).StatusCode);
        counterB.Reset();
        all = await Listing.AllAsync(clientB, mailboxId, "pageSize=100");
        AssertOnlyFreshnessCheck(counterB, "after mark-read");
        Assert.All(all, i => Assert.True(i.GetProperty("seen").GetBoolean()));
        var mailbox = await WriteHttp.JsonAsync(await clientB.GetAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}"), HttpStatusCode.OK);
        Assert.Equal(0, mailbox.GetProperty("unread").GetInt32());
        Assert.Equal(28, mailbox.GetProperty("total").GetInt32());

        // The moved message is in B's listing of the target, the deleted one in the Trash; the old id is gone.
        var archive = await Listing.PageAsync(clientB, "archive", "pageSize=50");
        Assert.Contains(moveAnswer.GetProperty("id").GetString(), archive.Items.Select(i => i.GetProperty("id").GetString()));
        await ProblemAssert.IsProblemAsync(await clientB.GetAsync(WriteHttp.MessageUrl(movedId)), HttpStatusCode.NotFound, "message-not-found");
        var trash = await Listing.PageAsync(clientB, "trash", "pageSize=50");
        Assert.Single(trash.Items);

        // And everything agrees with the server.
        var truth = await ImapTruth.ReadAsync(user, "Shared", findDuplicatedHeaders: false);
        var validity = (await imap.ExamineAsync("Shared")).UidValidity;
        ListingAssert.Matches(truth, ImapTruth.ArrivalOrder(truth), all, mailboxId, validity, "B after A's writes");
    }

    private static GatewayApplication Started(GatewayApplication app)
    {
        app.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        return app;
    }

    private static async Task WaitForCompleteCacheAsync(HttpClient client, string mailboxId)
    {
        for (var i = 0; i < 200; i++)
        {
            var mailbox = await WriteHttp.JsonAsync(await client.GetAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}"), HttpStatusCode.OK);
            if (mailbox.TryGetProperty("cache", out var cache) && cache.GetProperty("status").GetString() == "complete")
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("The header cache was not filled within 10 s.");
    }

    private static async Task<string> IdOfAsync(HttpClient client, string mailboxId, uint uid) =>
        Item(await Listing.AllAsync(client, mailboxId, "pageSize=100"), uid).GetProperty("id").GetString()!;

    private static JsonElement Item(ListingPage page, uint uid) => Item(page.Items, uid);

    private static JsonElement Item(IEnumerable<JsonElement> items, uint uid) => items.Single(i => i.GetProperty("uid").GetUInt32() == uid);

    private static void AssertOnlyFreshnessCheck(CommandCounter counter, string what)
    {
        var (commands, _) = counter.Delta();
        // The freshness check only (NOOP + STATUS where the mailbox is selected, else EXAMINE; a login if the pool opens
        // a connection): nothing fetched or searched, so the page came from the shared cache the write brought up to date.
        Assert.True(!commands.Keys.Any(k => k.Contains("FETCH", StringComparison.Ordinal) || k.Contains("SEARCH", StringComparison.Ordinal) || k.Contains("SORT", StringComparison.Ordinal)),
            $"{what}: B sent {CommandCounter.Describe(commands)}");
    }
}

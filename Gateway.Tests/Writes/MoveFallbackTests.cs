using System.Net;
using Gateway.Tests.Infrastructure;
using MailKit;

namespace Gateway.Tests.Writes;

/// <summary>Moves on a server without MOVE (the capability ignored through <c>Imap:DisabledExtensions</c>): COPY, STORE
/// \Deleted and UID EXPUNGE of exactly the moved UIDs; never a plain EXPUNGE, and without UIDPLUS no move at all.</summary>
public sealed class MoveFallbackTests
{
    [Fact]
    public async Task Move_WithoutMove_CopiesStoresAndUidExpunges_LeavingOtherDeletedMessagesAlone()
    {
        await using var f = await WriteFixture.CreateAsync("fallback", s => s["Imap:DisabledExtensions"] = "MOVE");
        var uids = await f.SeedAsync("INBOX", 3);
        var inbox = await f.Imap.SelectAsync("INBOX");
        await inbox.AddFlagsAsync(new UniqueId(uids[2]), MessageFlags.Deleted, silent: true); // someone else's pending delete
        var id = await f.MessageIdAsync("INBOX", uids[0]);

        f.Counter.Reset();
        var body = await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = "archive" }), HttpStatusCode.OK);
        var (commands, _) = f.Counter.Delta();
        var describe = WriteHttp.Describe(commands);
        Assert.True(commands.GetValueOrDefault("UID MOVE") == 0, describe);
        Assert.True(commands.GetValueOrDefault("UID COPY") == 1, describe);
        Assert.True(commands.GetValueOrDefault("UID STORE") == 1, describe);
        Assert.True(commands.GetValueOrDefault("UID EXPUNGE") == 1, describe);
        Assert.True(commands.GetValueOrDefault("EXPUNGE") == 0 && commands.GetValueOrDefault("CLOSE") == 0, describe);

        var moved = Assert.Single(await f.FindAsync("Archive", "gen-1-0@example.test"));
        Assert.Equal(moved, Listings.Listing.ParseMessageId(body.GetProperty("id").GetString()!).Uid);
        Assert.False((await f.TruthAsync("Archive", moved))!.Flags!.Value.HasFlag(MessageFlags.Deleted));
        Assert.Empty(await f.FindAsync("INBOX", "gen-1-0@example.test"));

        // The other \Deleted message was not expunged.
        Assert.Equal([uids[1], uids[2]], (await f.UidsAsync("INBOX")).Order());
        Assert.True((await f.TruthAsync("INBOX", uids[2]))!.Flags!.Value.HasFlag(MessageFlags.Deleted));
    }

    [Fact]
    public async Task MoveAndPermanentDelete_WithoutMoveAndUidPlus_Answer409_AndChangeNothing()
    {
        await using var f = await WriteFixture.CreateAsync("nouidplus", s => s["Imap:DisabledExtensions"] = "MOVE,UIDPLUS");
        var uids = await f.SeedAsync("INBOX", 2);
        var id = await f.MessageIdAsync("INBOX", uids[0]);

        f.Counter.Reset();
        var problem = await ProblemAssert.IsProblemAsync(
            await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = "archive" }), HttpStatusCode.Conflict, "conflict");
        Assert.Contains("UIDPLUS", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(
            await WriteHttp.SendAsync(f.Client, HttpMethod.Delete, WriteHttp.MessageUrl(id) + "?permanent=true", null), HttpStatusCode.Conflict, "conflict");
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.Keys.All(k => k is not ("UID COPY" or "UID STORE" or "UID EXPUNGE" or "EXPUNGE" or "UID MOVE")), WriteHttp.Describe(commands));
        Assert.Equal(uids.Order(), (await f.UidsAsync("INBOX")).Order());
        Assert.Empty(await f.UidsAsync("Archive"));
        Assert.False((await f.TruthAsync("INBOX", uids[0]))!.Flags!.Value.HasFlag(MessageFlags.Deleted));

        // A copy needs neither.
        await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/copy", new { mailboxId = "archive" }), HttpStatusCode.Created);
        Assert.Single(await f.UidsAsync("Archive"));
    }
}

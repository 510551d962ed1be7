using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using MailKit;

namespace Gateway.Tests.Writes;

/// <summary>Every write endpoint's success path, checked against the server's truth read by a plain IMAP client.</summary>
public sealed class MessageWriteTests
{
    private static readonly string[] Added = ["$Forwarded", "project-x"];
    private static readonly string[] ProjectX = ["project-x"];
    private static readonly string[] Todo = ["todo"];

    [Fact]
    public async Task Patch_FlagsAndKeywords_AreStoredAtTheServer_AndAnsweredWithANewETag()
    {
        await using var f = await WriteFixture.CreateAsync("patch");
        var uids = await f.SeedAsync("INBOX", 2);
        var uid = uids[1]; // generated message 1 is not \Seen
        var id = await f.MessageIdAsync("INBOX", uid);

        var get = await f.Client.GetAsync(WriteHttp.MessageUrl(id));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var etag = get.Headers.ETag?.Tag;
        Assert.NotNull(etag);

        f.Counter.Reset();
        var response = await WriteHttp.PatchAsync(f.Client, id, new { seen = true, flagged = true, answered = true, addKeywords = Added });
        var body = await WriteHttp.JsonAsync(response, HttpStatusCode.OK);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 1, WriteHttp.Describe(commands)); // all added with one +FLAGS
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.True(body.GetProperty("seen").GetBoolean());
        Assert.True(body.GetProperty("flagged").GetBoolean());
        Assert.True(body.GetProperty("answered").GetBoolean());
        Assert.False(body.GetProperty("draft").GetBoolean());
        Assert.Equal(["$Forwarded", "project-x"], body.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()).Order(StringComparer.Ordinal));
        Assert.NotEqual(etag, response.Headers.ETag?.Tag);

        var truth = await f.TruthAsync("INBOX", uid);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged | MessageFlags.Answered, truth!.Flags!.Value & ~MessageFlags.Recent);
        Assert.Equal(["$Forwarded", "project-x"], truth.Keywords.Order(StringComparer.Ordinal));
        Assert.Equal($"\"{(await f.Imap.ExamineAsync("INBOX")).UidValidity}-{uid}-{truth.ModSeq}\"", response.Headers.ETag?.Tag);

        // Clearing: one -FLAGS for everything removed.
        f.Counter.Reset();
        body = await WriteHttp.JsonAsync(await WriteHttp.PatchAsync(f.Client, id, new { seen = false, answered = false, removeKeywords = ProjectX }), HttpStatusCode.OK);
        (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 1, WriteHttp.Describe(commands));
        Assert.False(body.GetProperty("seen").GetBoolean());
        truth = await f.TruthAsync("INBOX", uid);
        Assert.Equal(MessageFlags.Flagged, truth!.Flags!.Value & ~MessageFlags.Recent);
        Assert.Equal(["$Forwarded"], truth.Keywords);

        // The other message is untouched.
        Assert.Equal(MessageFlags.Seen, (await f.TruthAsync("INBOX", uids[0]))!.Flags!.Value & ~MessageFlags.Recent);
    }

    [Fact]
    public async Task Patch_IfMatch_CurrentETagApplies_StaleETagAnswers412AndChangesNothing()
    {
        await using var f = await WriteFixture.CreateAsync("ifmatch");
        var uid = (await f.SeedAsync("INBOX", 2))[1];
        var id = await f.MessageIdAsync("INBOX", uid);
        var etag1 = (await f.Client.GetAsync(WriteHttp.MessageUrl(id))).Headers.ETag!.Tag;

        // The current ETag: applied with one conditional STORE.
        f.Counter.Reset();
        var ok = await WriteHttp.PatchAsync(f.Client, id, new { flagged = true, addKeywords = Todo }, etag1);
        await WriteHttp.JsonAsync(ok, HttpStatusCode.OK);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 1, WriteHttp.Describe(commands));
        var etag2 = ok.Headers.ETag!.Tag;
        Assert.NotEqual(etag1, etag2);

        // The old ETag again: 412, nothing changes.
        var before = await f.TruthAsync("INBOX", uid);
        f.Counter.Reset();
        var stale = await WriteHttp.PatchAsync(f.Client, id, new { seen = true, removeKeywords = Todo }, etag1);
        var problem = await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "precondition-failed");
        Assert.Contains("changed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 0, WriteHttp.Describe(commands));
        var after = await f.TruthAsync("INBOX", uid);
        Assert.Equal(before!.Flags, after!.Flags);
        Assert.Equal(before.Keywords.Order(), after.Keywords.Order());
        Assert.Equal(before.ModSeq, after.ModSeq);

        // Another client changes the message: the ETag the gateway gave is stale now.
        var inbox = await f.Imap.SelectAsync("INBOX");
        await inbox.AddFlagsAsync(new UniqueId(uid), MessageFlags.Answered, silent: true);
        before = await f.TruthAsync("INBOX", uid);
        stale = await WriteHttp.PatchAsync(f.Client, id, new { seen = true }, etag2);
        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "precondition-failed");
        after = await f.TruthAsync("INBOX", uid);
        Assert.Equal(before!.Flags, after!.Flags);
        Assert.Equal(before.ModSeq, after.ModSeq);

        // An ETag of another message, and a weak one, never match; * does.
        var other = await f.MessageIdAsync("INBOX", uid - 1);
        var otherTag = (await f.Client.GetAsync(WriteHttp.MessageUrl(other))).Headers.ETag!.Tag;
        await ProblemAssert.IsProblemAsync(await WriteHttp.PatchAsync(f.Client, id, new { seen = true }, otherTag), HttpStatusCode.PreconditionFailed, "precondition-failed");
        var current = (await f.Client.GetAsync(WriteHttp.MessageUrl(id))).Headers.ETag!.Tag;
        await ProblemAssert.IsProblemAsync(await WriteHttp.PatchAsync(f.Client, id, new { seen = true }, "W/" + current), HttpStatusCode.PreconditionFailed, "precondition-failed");
        Assert.Equal(before.Flags, (await f.TruthAsync("INBOX", uid))!.Flags);
        await WriteHttp.JsonAsync(await WriteHttp.PatchAsync(f.Client, id, new { seen = true }, "\"nope\", " + current), HttpStatusCode.OK);
        await WriteHttp.JsonAsync(await WriteHttp.PatchAsync(f.Client, id, new { draft = true }, "*"), HttpStatusCode.OK);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Draft, (await f.TruthAsync("INBOX", uid))!.Flags!.Value & ~MessageFlags.Recent);
    }

    [Fact]
    public async Task Patch_WithoutCondstore_HasNoETag_AndIfMatchAnswers412()
    {
        await using var f = await WriteFixture.CreateAsync("nocondstore", s => s["Imap:DisabledExtensions"] = "CONDSTORE");
        var uid = (await f.SeedAsync("INBOX", 2))[1];
        var id = await f.MessageIdAsync("INBOX", uid);

        var get = await f.Client.GetAsync(WriteHttp.MessageUrl(id));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Null(get.Headers.ETag);
        var problem = await ProblemAssert.IsProblemAsync(await WriteHttp.PatchAsync(f.Client, id, new { flagged = true }, "\"1-2-3\""), HttpStatusCode.PreconditionFailed, "precondition-failed");
        Assert.Contains("CONDSTORE", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False((await f.TruthAsync("INBOX", uid))!.Flags!.Value.HasFlag(MessageFlags.Flagged));

        var ok = await WriteHttp.PatchAsync(f.Client, id, new { flagged = true });
        Assert.True((await WriteHttp.JsonAsync(ok, HttpStatusCode.OK)).GetProperty("flagged").GetBoolean());
        Assert.Null(ok.Headers.ETag);
        Assert.True((await f.TruthAsync("INBOX", uid))!.Flags!.Value.HasFlag(MessageFlags.Flagged));
    }

    [Fact]
    public async Task Move_AnswersTheNewId_MessageIsOnlyInTheTarget()
    {
        await using var f = await WriteFixture.CreateAsync("move");
        var uid = (await f.SeedAsync("INBOX", 3))[1];
        var id = await f.MessageIdAsync("INBOX", uid);
        var archiveId = await f.MailboxIdAsync("Archive");

        f.Counter.Reset();
        var body = await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = archiveId }), HttpStatusCode.OK);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID MOVE") == 1 && commands.GetValueOrDefault("UID COPY") == 0 && commands.GetValueOrDefault("UID EXPUNGE") == 0
            && commands.GetValueOrDefault("EXPUNGE") == 0, WriteHttp.Describe(commands));

        var newId = body.GetProperty("id").GetString()!;
        var (mailboxId, uidValidity, newUid) = Listings.Listing.ParseMessageId(newId);
        Assert.Equal(archiveId, mailboxId);
        Assert.Equal((await f.Imap.ExamineAsync("Archive")).UidValidity, uidValidity);
        Assert.Empty(await f.FindAsync("INBOX", "gen-1-1@example.test"));
        Assert.Equal([newUid], await f.FindAsync("Archive", "gen-1-1@example.test"));
        Assert.Equal(2, (await f.UidsAsync("INBOX")).Count);

        // The new id reads; the old one is gone.
        var message = await WriteHttp.JsonAsync(await f.Client.GetAsync(WriteHttp.MessageUrl(newId)), HttpStatusCode.OK);
        Assert.Equal("gen-1-1@example.test", message.GetProperty("messageId").GetString());
        await ProblemAssert.IsProblemAsync(await f.Client.GetAsync(WriteHttp.MessageUrl(id)), HttpStatusCode.NotFound, "message-not-found");

        // A role alias works as a target; moving the gone message again is 404.
        body = await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(newId) + "/move", new { mailboxId = "inbox" }), HttpStatusCode.OK);
        Assert.Single(await f.FindAsync("INBOX", "gen-1-1@example.test"));
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(newId) + "/move", new { mailboxId = "inbox" }), HttpStatusCode.NotFound, "message-not-found");
    }

    [Fact]
    public async Task Copy_Answers201WithLocation_MessageIsInBoth()
    {
        await using var f = await WriteFixture.CreateAsync("copy");
        var uid = (await f.SeedAsync("INBOX", 2))[0];
        var id = await f.MessageIdAsync("INBOX", uid);

        var response = await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/copy", new { mailboxId = "archive" });
        var body = await WriteHttp.JsonAsync(response, HttpStatusCode.Created);
        var newId = body.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/accounts/me/messages/{newId}", response.Headers.Location?.AbsolutePath);
        Assert.Single(await f.FindAsync("INBOX", "gen-1-0@example.test"));
        var copied = Assert.Single(await f.FindAsync("Archive", "gen-1-0@example.test"));
        Assert.Equal(copied, Listings.Listing.ParseMessageId(newId).Uid);
        Assert.Equal(await f.Imap.RawAsync("INBOX", uid), await f.Imap.RawAsync("Archive", copied));

        // A copy into the message's own mailbox is a duplicate, not an error.
        await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/copy", new { mailboxId = "inbox" }), HttpStatusCode.Created);
        Assert.Equal(2, (await f.FindAsync("INBOX", "gen-1-0@example.test")).Count);
    }

    [Fact]
    public async Task Delete_MovesToTrash_AndFromTrashOrPermanentExpungesOnlyThatMessage()
    {
        await using var f = await WriteFixture.CreateAsync("delete");
        var uids = await f.SeedAsync("INBOX", 4);
        var inbox = await f.Imap.SelectAsync("INBOX");

        // Another message is marked \Deleted by someone else: no delete may expunge it.
        await inbox.AddFlagsAsync(new UniqueId(uids[3]), MessageFlags.Deleted, silent: true);

        var id = await f.MessageIdAsync("INBOX", uids[0]);
        var response = await WriteHttp.SendAsync(f.Client, HttpMethod.Delete, WriteHttp.MessageUrl(id), null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await f.FindAsync("INBOX", "gen-1-0@example.test"));
        var inTrash = Assert.Single(await f.FindAsync("Trash", "gen-1-0@example.test"));

        // Deleting it in the Trash removes it for good, with UID EXPUNGE of that message only.
        var trashId = await f.MessageIdAsync("Trash", inTrash);
        f.Counter.Reset();
        response = await WriteHttp.SendAsync(f.Client, HttpMethod.Delete, WriteHttp.MessageUrl(trashId), null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID EXPUNGE") == 1 && commands.GetValueOrDefault("EXPUNGE") == 0, WriteHttp.Describe(commands));
        Assert.Empty(await f.UidsAsync("Trash"));

        // permanent=true in the INBOX: gone, and the other \Deleted message is still there.
        id = await f.MessageIdAsync("INBOX", uids[1]);
        response = await WriteHttp.SendAsync(f.Client, HttpMethod.Delete, WriteHttp.MessageUrl(id) + "?permanent=true", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal([uids[2], uids[3]], (await f.UidsAsync("INBOX")).Order());
        Assert.Empty(await f.UidsAsync("Trash"));
        await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Delete, WriteHttp.MessageUrl(id) + "?permanent=true", null), HttpStatusCode.NotFound, "message-not-found");
    }

    [Fact]
    public async Task MarkRead_SetsSeenOnEveryMessage_WithOneStore()
    {
        await using var f = await WriteFixture.CreateAsync("markread");
        await f.SeedAsync("Lots", 40);
        var mailboxId = await f.MailboxIdAsync("Lots");

        f.Counter.Reset();
        var response = await f.Client.PostAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}/mark-read", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 1, WriteHttp.Describe(commands));

        var folder = await f.Imap.ExamineAsync("Lots");
        var flags = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        Assert.Equal(40, flags.Count);
        Assert.All(flags, m => Assert.True(m.Flags!.Value.HasFlag(MessageFlags.Seen)));

        // The mailbox's counts say so at once; an empty mailbox and the alias work too.
        var mailbox = await WriteHttp.JsonAsync(await f.Client.GetAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}"), HttpStatusCode.OK);
        Assert.Equal(0, mailbox.GetProperty("unread").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await f.Client.PostAsync("/api/v1/accounts/me/mailboxes/junk/mark-read", null)).StatusCode);
        await ProblemAssert.IsProblemAsync(await f.Client.PostAsync("/api/v1/accounts/me/mailboxes/AAAAAAAAAAAAAAAAAAAAAA/mark-read", null), HttpStatusCode.NotFound, "mailbox-not-found");
        _ = JsonSerializer.Serialize(mailbox);
    }
}

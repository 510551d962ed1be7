using System.Net;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MailKit;
using MessageFlags = MailKit.MessageFlags;

namespace Gateway.Tests.Writes;

/// <summary>Bad input to the writes: 4xx problem+json, nothing sent upstream that could change anything, server state
/// unchanged.</summary>
public sealed class WriteBadInputTests
{
    public static TheoryData<string> HostileKeywords => new()
    {
        "two words", "\\Seen", "\\Deleted", "x\r\nA1 LOGOUT", "x\nA1 LOGOUT", "nul\0byte", "\"quoted\"", "{5}", "{5+}", "a(b", "a)b",
        "star*", "per%cent", "br]acket", "br[acket", "back\\slash", "tab\tbed", "ümlaut", string.Empty, new string('k', 65),
    };

    [Theory]
    [MemberData(nameof(HostileKeywords))]
    public async Task Patch_HostileKeyword_Answers400_AndSendsNoStore(string keyword)
    {
        await using var f = await WriteFixture.CreateAsync("hostile");
        var uid = (await f.SeedAsync("INBOX", 2))[1];
        var id = await f.MessageIdAsync("INBOX", uid);
        var before = await f.TruthAsync("INBOX", uid);

        f.Counter.Reset();
        await ProblemAssert.IsProblemAsync(await WriteHttp.PatchAsync(f.Client, id, new { seen = true, addKeywords = new[] { "fine", keyword } }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PatchAsync(f.Client, id, new { removeKeywords = new[] { keyword } }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(
            await WriteHttp.PostAsync(f.Client, "/api/v1/accounts/me/messages/batch", new { ids = new[] { id }, addKeywords = new[] { keyword } }), HttpStatusCode.BadRequest, "validation-failed");
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.Count == 0, WriteHttp.Describe(commands)); // refused before any IMAP command

        var after = await f.TruthAsync("INBOX", uid);
        Assert.Equal(before!.Flags, after!.Flags);
        Assert.Equal(before.ModSeq, after.ModSeq);
        Assert.Empty(after.Keywords);
    }

    [Fact]
    public async Task Writes_BadIdsBodiesAndTargets_Answer4xxProblems_AndChangeNothing()
    {
        await using var f = await WriteFixture.CreateAsync("badwrites");
        var uids = await f.SeedAsync("INBOX", 2);
        var uid = uids[1];
        var id = await f.MessageIdAsync("INBOX", uid);
        var inboxId = await f.MailboxIdAsync("INBOX");
        var validity = (await f.Imap.ExamineAsync("INBOX")).UidValidity;
        var unknown = MessageIds.For(inboxId, validity, 77_777);
        var stale = MessageIds.For(inboxId, validity + 1, uid);
        var before = await f.TruthAsync("INBOX", uid);

        foreach (var (path, method, body) in new (string, HttpMethod, string?)[]
        {
            ("", HttpMethod.Patch, "{\"seen\":true}"),
            ("/move", HttpMethod.Post, "{\"mailboxId\":\"archive\"}"),
            ("/copy", HttpMethod.Post, "{\"mailboxId\":\"archive\"}"),
            ("", HttpMethod.Delete, null),
            ("?permanent=true", HttpMethod.Delete, null),
        })
        {
            await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, method, WriteHttp.MessageUrl("not-an-id") + path, body), HttpStatusCode.BadRequest, "validation-failed");
            await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, method, WriteHttp.MessageUrl(unknown) + path, body), HttpStatusCode.NotFound, "message-not-found");
            await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, method, WriteHttp.MessageUrl(stale) + path, body), HttpStatusCode.Gone, "uidvalidity-changed");
            await ProblemAssert.IsProblemAsync(
                await WriteHttp.SendAsync(f.Client, method, WriteHttp.MessageUrl(MessageIds.For("AAAAAAAAAAAAAAAAAAAAAA", 1, 1)) + path, body), HttpStatusCode.NotFound, "message-not-found");
        }

        // Bodies: not JSON, wrong types, unknown members, missing target.
        foreach (var body in new[] { "{\"seen\": tru", "{\"seen\": \"yes\"}", "{\"sen\": true}", "[1]", "{\"addKeywords\": \"one\"}", "{\"addKeywords\": [null]}" })
        {
            await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Patch, WriteHttp.MessageUrl(id), body), HttpStatusCode.BadRequest, "validation-failed");
        }

        foreach (var body in new[] { "{}", "{\"mailboxId\": null}", "{\"mailboxId\": \"bad id!\"}", "{\"mailboxId\": \"archive\", \"x\": 1}" })
        {
            await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Post, WriteHttp.MessageUrl(id) + "/move", body), HttpStatusCode.BadRequest, "validation-failed");
        }

        // The same keyword added and removed; a move to the message's own mailbox; a target that does not exist.
        await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Patch, WriteHttp.MessageUrl(id), "{\"addKeywords\":[\"a\"],\"removeKeywords\":[\"A\"]}"), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = inboxId }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = "inbox" }), HttpStatusCode.BadRequest, "validation-failed");
        foreach (var target in new[] { "AAAAAAAAAAAAAAAAAAAAAA", "sent-but-not-an-alias" })
        {
            await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/move", new { mailboxId = target }), HttpStatusCode.Conflict, "target-mailbox-not-found");
            await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, WriteHttp.MessageUrl(id) + "/copy", new { mailboxId = target }), HttpStatusCode.Conflict, "target-mailbox-not-found");
        }

        // Another account's id is 404, not someone else's message.
        await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Patch, "/api/v1/accounts/someone-else/messages/" + id, "{\"seen\":true}"), HttpStatusCode.NotFound, "account-not-found");

        var after = await f.TruthAsync("INBOX", uid);
        Assert.Equal(before!.Flags & ~MessageFlags.Recent, after!.Flags & ~MessageFlags.Recent); // a SELECT takes \Recent
        Assert.Equal(before.ModSeq, after.ModSeq);
        Assert.Equal(uids.Order(), (await f.UidsAsync("INBOX")).Order());
        Assert.Empty(await f.UidsAsync("Archive"));
        Assert.Empty(await f.UidsAsync("Trash"));
    }
}

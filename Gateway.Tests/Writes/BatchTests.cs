using System.Net;
using System.Text.Json;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MailKit;
using MessageFlags = MailKit.MessageFlags;

namespace Gateway.Tests.Writes;

/// <summary>POST messages/batch: per-id results (207), grouped IMAP commands, the size limit.</summary>
public sealed class BatchTests
{
    private static readonly string[] Batched = ["batched"];
    private static readonly string[] BadKeyword = ["a b"];

    [Fact]
    public async Task Batch_MixedIds_Answer207PerId_WithOneStorePerMailboxAndChange()
    {
        await using var f = await WriteFixture.CreateAsync("batch");
        var a = await f.SeedAsync("Alpha", 5, seed: 1);
        var b = await f.SeedAsync("Beta", 4, seed: 2);
        var alphaId = await f.MailboxIdAsync("Alpha");
        var alphaValidity = (await f.Imap.ExamineAsync("Alpha")).UidValidity;
        var good = new[] { await f.MessageIdAsync("Alpha", a[0]), await f.MessageIdAsync("Alpha", a[1]), await f.MessageIdAsync("Alpha", a[3]),
            await f.MessageIdAsync("Beta", b[1]), await f.MessageIdAsync("Beta", b[2]) };
        var unknown = MessageIds.For(alphaId, alphaValidity, 90_000);
        var stale = MessageIds.For(alphaId, alphaValidity + 1, a[2]);
        var otherMailbox = MessageIds.For("AAAAAAAAAAAAAAAAAAAAAA", 1, 1);
        string[] ids = [good[0], unknown, good[3], "not-an-id", good[1], stale, good[4], good[2], otherMailbox, good[0]];

        f.Counter.Reset();
        var response = await WriteHttp.PostAsync(f.Client, "/api/v1/accounts/me/messages/batch", new { ids, seen = true, flagged = true, addKeywords = Batched });
        var body = await WriteHttp.JsonAsync(response, HttpStatusCode.MultiStatus);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 2, WriteHttp.Describe(commands)); // one per mailbox: all adds in one +FLAGS
        Assert.True(commands.GetValueOrDefault("STORE") == 0, WriteHttp.Describe(commands));

        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(ids.Distinct().ToList(), results.Select(r => r.GetProperty("id").GetString()!).ToList());
        var status = results.ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("status").GetInt32());
        Assert.All(good, id => Assert.Equal(200, status[id]));
        Assert.Equal(404, status[unknown]);
        Assert.Equal(410, status[stale]);
        Assert.Equal(400, status["not-an-id"]);
        Assert.Equal(404, status[otherMailbox]);
        var problem = results.Single(r => r.GetProperty("id").GetString() == stale).GetProperty("problem");
        Assert.Equal("https://imap-gateway.dev/problems/uidvalidity-changed", problem.GetProperty("type").GetString());
        Assert.Equal("UIDVALIDITY_CHANGED", problem.GetProperty("code").GetString());
        Assert.False(results.Single(r => r.GetProperty("id").GetString() == good[0]).TryGetProperty("problem", out _));

        // The server's truth: exactly the good ones changed.
        foreach (var (path, uid, changed) in new[] { ("Alpha", a[0], true), ("Alpha", a[1], true), ("Alpha", a[2], false), ("Alpha", a[3], true), ("Alpha", a[4], false),
            ("Beta", b[0], false), ("Beta", b[1], true), ("Beta", b[2], true), ("Beta", b[3], false) })
        {
            var truth = (await f.TruthAsync(path, uid))!;
            Assert.True(changed == truth.Flags!.Value.HasFlag(MessageFlags.Flagged), $"{path} {uid}");
            Assert.True(changed == truth.Keywords.Contains("batched"), $"{path} {uid}");
            if (changed)
            {
                Assert.True(truth.Flags.Value.HasFlag(MessageFlags.Seen));
            }
        }
    }

    [Fact]
    public async Task Batch_MoveTo_UsesOneStoreAndOneMovePerMailbox_AndAnswersNewIds()
    {
        await using var f = await WriteFixture.CreateAsync("batchmove");
        var a = await f.SeedAsync("Alpha", 4, seed: 1);
        var b = await f.SeedAsync("Beta", 3, seed: 2);
        string[] ids = [await f.MessageIdAsync("Alpha", a[0]), await f.MessageIdAsync("Alpha", a[2]), await f.MessageIdAsync("Beta", b[0]),
            await f.MessageIdAsync("Beta", b[1]), await f.MessageIdAsync("Beta", b[2])];
        var archiveId = await f.MailboxIdAsync("Archive");

        f.Counter.Reset();
        var body = await WriteHttp.JsonAsync(
            await WriteHttp.PostAsync(f.Client, "/api/v1/accounts/me/messages/batch", new { ids, flagged = false, moveTo = archiveId }), HttpStatusCode.MultiStatus);
        var (commands, _) = f.Counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID STORE") == 2 && commands.GetValueOrDefault("UID MOVE") == 2, WriteHttp.Describe(commands));

        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.All(results, r => Assert.Equal(200, r.GetProperty("status").GetInt32()));
        var newUids = results.Select(r => Listings.Listing.ParseMessageId(r.GetProperty("newId").GetString()!)).ToList();
        Assert.All(newUids, n => Assert.Equal(archiveId, n.MailboxId));
        Assert.Equal(newUids.Select(n => n.Uid).Order(), (await f.UidsAsync("Archive")).Order());
        Assert.Equal([a[1], a[3]], (await f.UidsAsync("Alpha")).Order());
        Assert.Empty(await f.UidsAsync("Beta"));

        // Each new id names the moved message.
        var first = await WriteHttp.JsonAsync(await f.Client.GetAsync(WriteHttp.MessageUrl(results[0].GetProperty("newId").GetString()!)), HttpStatusCode.OK);
        Assert.Equal("gen-1-0@example.test", first.GetProperty("messageId").GetString());

        // Moving messages to where they are is a per-id 400; nothing changes.
        var again = await WriteHttp.JsonAsync(
            await WriteHttp.PostAsync(f.Client, "/api/v1/accounts/me/messages/batch", new { ids = new[] { results[0].GetProperty("newId").GetString() }, moveTo = "archive" }),
            HttpStatusCode.MultiStatus);
        Assert.Equal(400, again.GetProperty("results")[0].GetProperty("status").GetInt32());
        Assert.Equal(5, (await f.UidsAsync("Archive")).Count);
    }

    [Fact]
    public async Task Batch_TooManyNoIdsNothingToDoOrMissingTarget_Answer4xx_AndChangeNothing()
    {
        await using var f = await WriteFixture.CreateAsync("batchbad");
        var uid = (await f.SeedAsync("INBOX", 2))[1];
        var id = await f.MessageIdAsync("INBOX", uid);
        const string Url = "/api/v1/accounts/me/messages/batch";

        var tooMany = Enumerable.Repeat(id, 1001).ToArray();
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = tooMany, seen = true }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = Array.Empty<string>(), seen = true }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = new[] { id } }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = new[] { id }, seen = true, moveTo = "AAAAAAAAAAAAAAAAAAAAAA" }), HttpStatusCode.Conflict, "target-mailbox-not-found");
        await ProblemAssert.IsProblemAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = new[] { id }, addKeywords = BadKeyword }), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(await WriteHttp.SendAsync(f.Client, HttpMethod.Post, Url, "{\"ids\": [\"x\"], \"seen\": tru"), HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(MessageFlags.None, (await f.TruthAsync("INBOX", uid))!.Flags!.Value & ~MessageFlags.Recent);

        // 1,000 is allowed.
        var ok = await WriteHttp.JsonAsync(await WriteHttp.PostAsync(f.Client, Url, new { ids = Enumerable.Repeat(id, 1000).ToArray(), seen = true }), HttpStatusCode.MultiStatus);
        Assert.Single(ok.GetProperty("results").EnumerateArray());
        Assert.True((await f.TruthAsync("INBOX", uid))!.Flags!.Value.HasFlag(MessageFlags.Seen));
        _ = JsonSerializer.Serialize(ok);
    }
}

using System.Net;
using System.Text.Json;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using MailKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Append;

/// <summary>APPEND through the gateway, checked against the server's truth read with a plain MailKit client.</summary>
public sealed class AppendTests
{
    [Fact]
    public async Task Append_CorpusMessages_StoredByteForByte_WithFlags_SummaryAndLocation()
    {
        var messages = AppendSupport.CrlfMessages();
        if (messages.Count == 0)
        {
            return; // no corpus on this machine
        }

        var user = MailEnvironment.NewUser("append");
        await using var app = new GatewayApplication();
        var (client, accountId, _) = await app.LoginAsync(user);
        var picked = messages.Where((_, i) => i % 9 == 0).Take(24).ToList();
        var queries = new[] { string.Empty, "seen=true", "flagged=true&draft=true", "seen=true&flagged=true&draft=false" };
        for (var i = 0; i < picked.Count; i++)
        {
            var bytes = picked[i].Bytes();
            var query = queries[i % queries.Length];
            var response = await AppendSupport.PostAsync(client, "inbox", bytes, query);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{picked[i].File}: {(int)response.StatusCode} {text}");
            var summary = JsonDocument.Parse(text).RootElement;
            var uid = summary.GetProperty("uid").GetUInt32();
            var id = summary.GetProperty("id").GetString()!;
            Assert.Equal($"/api/v1/accounts/{accountId}/messages/{id}", response.Headers.Location?.OriginalString);

            // The server holds exactly the bytes sent, with the flags asked for.
            await using var imap = await TestImap.ConnectAsync(user);
            var stored = await imap.RawAsync("INBOX", uid);
            Assert.True(bytes.AsSpan().SequenceEqual(stored), $"{picked[i].File}: stored bytes differ");
            var folder = await imap.ExamineAsync("INBOX");
            var flags = (await folder.FetchAsync([new UniqueId(uid)], MessageSummaryItems.Flags | MessageSummaryItems.Size)).Single();
            Assert.Equal(query.Contains("seen=true", StringComparison.Ordinal), flags.Flags!.Value.HasFlag(MessageFlags.Seen));
            Assert.Equal(query.Contains("flagged=true", StringComparison.Ordinal), flags.Flags!.Value.HasFlag(MessageFlags.Flagged));
            Assert.Equal(query.Contains("draft=true", StringComparison.Ordinal), flags.Flags!.Value.HasFlag(MessageFlags.Draft));
            Assert.Equal(bytes.Length, summary.GetProperty("size").GetInt64());
            Assert.Equal(flags.Flags!.Value.HasFlag(MessageFlags.Seen), summary.GetProperty("seen").GetBoolean());
            Assert.Equal(flags.Flags!.Value.HasFlag(MessageFlags.Flagged), summary.GetProperty("flagged").GetBoolean());
            Assert.Equal(flags.Flags!.Value.HasFlag(MessageFlags.Draft), summary.GetProperty("draft").GetBoolean());

            // The Location answers with the same message.
            var read = await client.GetAsync(response.Headers.Location);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(uid, JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("uid").GetUInt32());
        }

        // Every summary the APPEND answered agrees with the server's truth, as a listing would show it.
        var truth = await ImapTruth.ReadAsync(user, "INBOX");
        var listed = await Listing.AllAsync(client, await Listing.MailboxIdAsync(client, "INBOX"), "pageSize=100");
        Assert.Equal(picked.Count, listed.Count);
        ListingAssert.Matches(truth, ImapTruth.ArrivalOrder(truth), listed, listed[0].GetProperty("mailboxId").GetString()!, Listing.ParseMessageId(listed[0].GetProperty("id").GetString()!).UidValidity, "after APPEND");
    }

    [Fact]
    public async Task Append_ToCachedMailbox_NextListingShowsIt_FromTheCache_OnThisAndAnotherInstance()
    {
        var user = MailEnvironment.NewUser("append-cache");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("INBOX", 5);
        }

        await using var app = new GatewayApplication();
        await using var other = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var (otherClient, _, _) = await other.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, "INBOX");
        var first = await Listing.PageAsync(client, mailboxId, "pageSize=10");
        var uidValidity = Listing.ParseMessageId(first.Items[0].GetProperty("id").GetString()!).UidValidity;
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        await Listing.PageAsync(otherClient, mailboxId, "pageSize=10"); // the other instance's connection has it selected

        var bytes = AppendSupport.Generated($"cache-{Guid.NewGuid():N}@example.test", "Read your writes");
        var response = await AppendSupport.PostAsync(client, mailboxId, bytes, "flagged=true");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var appended = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        foreach (var (gateway, http) in new[] { (app, client), (other, otherClient) })
        {
            var counter = new CommandCounter(gateway, user);
            var page = await Listing.PageAsync(http, mailboxId, "pageSize=10");
            var (commands, _) = counter.Delta();
            Assert.Equal(6, page.Items.Count);
            Assert.Equal(appended.GetRawText(), page.Items[0].GetRawText());
            Assert.True(CommandCounter.OnlyFreshnessChecks(commands), "the page after the APPEND came from the cache: " + CommandCounter.Describe(commands));
        }
    }

    [Fact]
    public async Task Append_LfLineEnds_StoredWithCrlf_AndHeaderOnlyMessageGetsItsEmptyLine()
    {
        var user = MailEnvironment.NewUser("append-lf");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);

        var lf = "Subject: bare LF\nFrom: a@example.test\n\nline one\nline two\n"u8.ToArray();
        var response = await AppendSupport.PostAsync(client, "inbox", lf);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var uid = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("uid").GetUInt32();

        var headerOnly = "Subject: header only\r\nFrom: a@example.test"u8.ToArray();
        response = await AppendSupport.PostAsync(client, "inbox", headerOnly);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var uid2 = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("uid").GetUInt32();

        await using var imap = await TestImap.ConnectAsync(user);
        Assert.Equal("Subject: bare LF\r\nFrom: a@example.test\r\n\r\nline one\r\nline two\r\n"u8.ToArray(), await imap.RawAsync("INBOX", uid));
        Assert.Equal("Subject: header only\r\nFrom: a@example.test\r\n\r\n"u8.ToArray(), await imap.RawAsync("INBOX", uid2));
    }

    [Fact]
    public async Task Append_ToMailboxById_AndToUnknownMailbox_404()
    {
        var user = MailEnvironment.NewUser("append-id");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.FolderAsync("Projects");
        }

        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var projects = await Listing.MailboxIdAsync(client, "Projects");
        var bytes = AppendSupport.Generated($"byid-{Guid.NewGuid():N}@example.test");

        var response = await AppendSupport.PostAsync(client, projects, bytes);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(projects, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("mailboxId").GetString());
        Assert.Equal(1, await AppendSupport.CountAsync(user, "Projects"));

        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "AAAAAAAAAAAAAAAAAAAAAA", bytes), HttpStatusCode.NotFound, "mailbox-not-found");
    }
}

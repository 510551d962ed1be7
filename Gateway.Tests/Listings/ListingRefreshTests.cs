using System.Net;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using MailKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// Changes made by another IMAP client show on the next listing, and bringing the cache in step costs only the delta:
/// the IMAP commands the gateway sends are counted per change, with QRESYNC, with QRESYNC ignored (UID SEARCH to find
/// expunges) and with CONDSTORE ignored (flags re-read per page). An unchanged mailbox costs one STATUS, and its ETag
/// answers 304.
/// </summary>
public sealed class ListingRefreshTests
{
    private const string Path = "Refresh";
    private const int Seeded = 300;

    /// <summary>Far below what re-reading the mailbox's summaries would take (300 summaries are well over 100 KB).</summary>
    private const long DeltaBytes = 24 * 1024;

    [Theory]
    [InlineData("")]
    [InlineData("QRESYNC")]
    [InlineData("CONDSTORE")]
    public async Task FlagAppendExpunge_ByAnotherClient_ShowOnNextListing_FetchingOnlyTheDelta(string disabled)
    {
        var qresync = disabled == string.Empty;
        var user = MailEnvironment.NewUser("refresh");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync(Path, Seeded);
        await using var app = new GatewayApplication(s => s["Imap:DisabledExtensions"] = disabled);
        var (client, mailboxId) = await FilledAsync(app, user);
        var counter = new CommandCounter(app, user);
        var folder = await imap.SelectAsync(Path);

        // 1. Another client flags one message.
        var flaggedUid = uids[^3];
        await folder.AddFlagsAsync(new UniqueId(flaggedUid), MessageFlags.Flagged, silent: true);
        counter.Reset();
        var page = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        AssertDelta(counter, "flag change", uidFetch: 1, uidSearch: 0); // CHANGEDSINCE, or without CONDSTORE the page's FLAGS
        Assert.True(page.Items.Single(i => i.GetProperty("uid").GetUInt32() == flaggedUid).GetProperty("flagged").GetBoolean());
        Assert.Equal(Seeded, await CountAsync(client, mailboxId));

        // 2. Another client appends two messages: with CONDSTORE one UID FETCH (CHANGEDSINCE brings the new ones whole),
        //    without it the page's FLAGS and one UID FETCH of the new ones.
        var added = await ListingData.AppendDatedAsync(imap, Path, [DateTimeOffset.UtcNow, DateTimeOffset.UtcNow], seed: 7);
        counter.Reset();
        page = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        AssertDelta(counter, "append", uidFetch: disabled == "CONDSTORE" ? 2 : 1, uidSearch: 0);
        Assert.Equal(added.OrderDescending(), Listing.Uids(page.Items).Take(2));
        Assert.Equal(Seeded + 2, await CountAsync(client, mailboxId));

        // 3. Another client expunges one message: VANISHED with QRESYNC, else UID SEARCH ALL against the cached UIDs.
        var gone = uids[^5];
        await folder.AddFlagsAsync(new UniqueId(gone), MessageFlags.Deleted, silent: true);
        await folder.ExpungeAsync([new UniqueId(gone)]);
        counter.Reset();
        page = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        AssertDelta(counter, "expunge", uidFetch: 1, uidSearch: qresync ? 0 : 1); // CHANGEDSINCE (or the page's FLAGS)
        Assert.DoesNotContain(gone, Listing.Uids(page.Items));
        Assert.Equal(Seeded + 1, await CountAsync(client, mailboxId));

        // Everything still agrees with the server.
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        var uidValidity = folder.UidValidity;
        ListingAssert.Matches(truth, ImapTruth.ArrivalOrder(truth), await Listing.AllAsync(client, mailboxId, "pageSize=100"), mailboxId, uidValidity, "after the changes");

        void AssertDelta(CommandCounter c, string what, int uidFetch, int uidSearch)
        {
            var (commands, bytes) = c.Delta();
            var describe = $"{what} (disabled: '{disabled}'): {CommandCounter.Describe(commands)}, {bytes} bytes read";
            Assert.True(uidFetch == commands.GetValueOrDefault("UID FETCH"), describe);
            Assert.True(uidSearch == commands.GetValueOrDefault("UID SEARCH"), describe);
            Assert.True(commands.GetValueOrDefault("FETCH") == 0, describe);
            Assert.True(commands.GetValueOrDefault("SEARCH") == 0 && commands.GetValueOrDefault("UID SORT") == 0 && commands.GetValueOrDefault("SELECT") == 0, describe);
            Assert.True(commands.GetValueOrDefault("STATUS") == 1, describe);
            Assert.True(bytes < DeltaBytes, describe);
        }
    }

    [Fact]
    public async Task UnchangedMailbox_RepeatedListings_OnlyNoop_AndETagGives304UntilItChanges()
    {
        var user = MailEnvironment.NewUser("etag");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync(Path, Seeded);
        await using var app = new GatewayApplication();
        var (client, mailboxId) = await FilledAsync(app, user);
        var counter = new CommandCounter(app, user);

        var first = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        var again = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        var byDate = await Listing.PageAsync(client, mailboxId, "pageSize=50&sort=date");
        var second = await Listing.PageAsync(client, mailboxId, "pageSize=50", first.NextPageToken);
        var filtered = await Listing.PageAsync(client, mailboxId, "pageSize=20&unread=true&from=alice");
        var (commands, _) = counter.Delta();
        Assert.True(OnlyChecks(commands, 5), "unchanged mailbox: " + CommandCounter.Describe(commands));

        Assert.NotNull(first.ETag);
        Assert.Equal(first.ETag, again.ETag);
        Assert.Equal(first.State, again.State);
        Assert.Equal(first.State, byDate.State);
        Assert.NotEqual(first.ETag, byDate.ETag);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.NotEqual(first.ETag, filtered.ETag);
        Assert.Equal(first.Body.GetRawText(), again.Body.GetRawText());

        // If-None-Match with the ETag: 304, no body, still only a STATUS.
        counter.Reset();
        var notModified = await GetAsync(client, Listing.Url(mailboxId, "pageSize=50"), first.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.ETag, notModified.Headers.ETag?.ToString());
        (commands, _) = counter.Delta();
        Assert.True(OnlyChecks(commands, 1), "304: " + CommandCounter.Describe(commands));
        Assert.True(commands.GetValueOrDefault("STATUS") == 0, "a quiet NOOP on a connection that read the values needs no STATUS: " + CommandCounter.Describe(commands));

        // The same ETag does not match another query.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, Listing.Url(mailboxId, "pageSize=50&sort=date"), first.ETag!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, Listing.Url(mailboxId, "pageSize=49"), first.ETag!)).StatusCode);

        // A change (a flag on a message of another page) makes the same request 200 with a new ETag and state.
        var folder = await imap.SelectAsync(Path);
        await folder.AddFlagsAsync(new UniqueId(uids[0]), MessageFlags.Flagged, silent: true);
        var changed = await GetAsync(client, Listing.Url(mailboxId, "pageSize=50"), first.ETag!);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotNull(changed.Headers.ETag);
        Assert.NotEqual(first.ETag, changed.Headers.ETag!.ToString());
        var after = await Listing.PageAsync(client, mailboxId, "pageSize=50");
        Assert.NotEqual(first.State, after.State);
        Assert.Equal(changed.Headers.ETag!.ToString(), after.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(client, Listing.Url(mailboxId, "pageSize=50"), after.ETag!)).StatusCode);
    }

    [Fact]
    public async Task WithoutCondstore_ETagStillChangesWhenAShownFlagChanges()
    {
        // Without CONDSTORE the mailbox state cannot see flag changes; the page's ETag must, or a client would keep
        // showing stale flags after a 304.
        var user = MailEnvironment.NewUser("etagnocs");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync(Path, 30);
        await using var app = new GatewayApplication(s => s["Imap:DisabledExtensions"] = "CONDSTORE");
        var (client, mailboxId) = await FilledAsync(app, user);

        var first = await Listing.PageAsync(client, mailboxId, "pageSize=10");
        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(client, Listing.Url(mailboxId, "pageSize=10"), first.ETag!)).StatusCode);

        var folder = await imap.SelectAsync(Path);
        await folder.AddFlagsAsync(new UniqueId(uids[^1]), MessageFlags.Flagged, silent: true);
        var changed = await GetAsync(client, Listing.Url(mailboxId, "pageSize=10"), first.ETag!);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(first.ETag, changed.Headers.ETag?.ToString());
    }

    /// <summary>Exactly <paramref name="statuses"/> STATUS and nothing else, but for the NOOP that syncs a connection that
    /// has the mailbox selected before its STATUS.</summary>
    /// <summary><paramref name="checks"/> freshness checks and nothing else: one NOOP each, plus a STATUS where the
    /// NOOP reported a change or the connection's values were not read yet.</summary>
    private static bool OnlyChecks(Dictionary<string, long> commands, int checks) =>
        commands.GetValueOrDefault("NOOP") == checks
        && commands.GetValueOrDefault("STATUS") <= checks
        && commands.Keys.All(k => k is "STATUS" or "NOOP");

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, string ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await client.SendAsync(request);
    }

    private static async Task<int> CountAsync(HttpClient client, string mailboxId) =>
        (await Listing.AllAsync(client, mailboxId, "pageSize=500")).Count;

    /// <summary>Logs in, lists once (cold: starts the fill) and waits for the fill.</summary>
    private static async Task<(HttpClient Client, string MailboxId)> FilledAsync(GatewayApplication app, string user)
    {
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var first = await Listing.PageAsync(client, mailboxId, "pageSize=1");
        var uidValidity = Listing.ParseMessageId(first.Items[0].GetProperty("id").GetString()!).UidValidity;
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        return (client, mailboxId);
    }
}

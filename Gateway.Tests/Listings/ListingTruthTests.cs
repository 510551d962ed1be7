using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using MailKit;
using MailKit.Search;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// Listings agree with what the IMAP server holds, field by field and in both orders: answered from IMAP (cold, and
/// with the cache turned off) and from the header cache after the background fill, in Redis and in process.
/// </summary>
public sealed class ListingTruthTests
{
    private const string Path = "Listing";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Corpus_ColdFromImapCachedAndUncached_MatchesServerTruth(bool useRedis)
    {
        if (!Corpus.Available)
        {
            return;
        }

        await RunAsync("corpus", async imap => Assert.True((await ListingData.SeedCorpusAsync(imap, Path)).Count > 200), useRedis, maxDisputed: 5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Generated_ColdFromImapCachedAndUncached_MatchesServerTruth(bool useRedis)
    {
        await RunAsync("gen", imap => ListingData.SeedGeneratedAsync(imap, Path), useRedis);
    }

    [Fact]
    public async Task Generated_TruthItself_AgreesWithGeneratorAndServerSort()
    {
        // Guards the truth reader: what it reads back is what the generator wrote, and the date order it derives is the
        // order the server's own SORT (REVERSE DATE) gives.
        var user = MailEnvironment.NewUser("gentruth");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await ListingData.SeedGeneratedAsync(imap, Path);
        var truth = (await ImapTruth.ReadAsync(user, Path)).ToDictionary(t => t.Uid);
        for (var i = 0; i < 150; i++)
        {
            var date = ListingData.NewerStart.AddMinutes(i * 7);
            var expected = TestMessages.Generated(11, i, date);
            var t = truth[uids[i]];
            Assert.Equal($"gen-11-{i}@example.test", t.MessageId);
            Assert.Equal(expected.Subject, t.Subject);
            Assert.Equal(expected.From.Mailboxes.Single().Address, t.From.Single().Address);
            Assert.Equal(date, t.Date);
            Assert.Equal(date, t.ReceivedAt);
            Assert.Equal(expected.Attachments.Any(), t.HasAttachments);
        }

        var folder = await imap.ExamineAsync(Path);
        var sorted = await folder.SortAsync(SearchQuery.All, [OrderBy.ReverseDate]);
        Assert.Equal(ImapTruth.DateOrder(truth.Values), sorted.Select(u => u.Id).ToList());
    }

    private static async Task RunAsync(string hint, Func<TestImap, Task> seed, bool useRedis, int maxDisputed = 0)
    {
        var user = MailEnvironment.NewUser(hint);
        await using var imap = await TestImap.ConnectAsync(user);
        await seed(imap);
        var truth = await ImapTruth.ReadAsync(user, Path);
        var uidValidity = (await imap.ExamineAsync(Path)).UidValidity;
        var arrival = ImapTruth.ArrivalOrder(truth);
        var byDate = ImapTruth.DateOrder(truth);
        Assert.NotEqual(arrival, byDate);

        // Where the server's SORT and the Date headers disagree (malformed dates), the place in date order is left open.
        var disputed = ImapTruth.Disputed(byDate, await ImapTruth.ServerDateOrderAsync(user, Path));
        Assert.True(disputed.Count <= maxDisputed, $"{disputed.Count} messages with a disputed date order: {string.Join(",", disputed)}");
        List<System.Text.Json.JsonElement> fromCache;

        await using (var app = new GatewayApplication(useRedis: useRedis))
        {
            var (client, _, _) = await app.LoginAsync(user);
            var mailboxId = await Listing.MailboxIdAsync(client, Path);

            // Cold: nothing cached for this fresh account, so the first page comes from IMAP (and starts the fill).
            var cold = await Listing.PageAsync(client, mailboxId, "pageSize=500");
            ListingAssert.Matches(truth, arrival, cold.Items, mailboxId, uidValidity, "cold, arrival");
            var coldByDate = await Listing.AllAsync(client, mailboxId, "pageSize=500&sort=date");
            ListingAssert.Matches(truth, byDate, coldByDate, mailboxId, uidValidity, "cold, date", disputed);

            // After the fill: from the cache, with no message fetched at all.
            await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
            var counter = new CommandCounter(app, user);
            var cachedArrival = await Listing.AllAsync(client, mailboxId, "pageSize=40");
            var cachedDate = await Listing.AllAsync(client, mailboxId, "pageSize=40&sort=date");
            var (commands, _) = counter.Delta();
            Assert.True(CommandCounter.OnlyFreshnessChecks(commands), "cached pages sent " + CommandCounter.Describe(commands));
            Assert.Equal((truth.Count + 39) / 40 * 2, commands.GetValueOrDefault("NOOP")); // one check per page
            ListingAssert.Matches(truth, arrival, cachedArrival, mailboxId, uidValidity, "cached, arrival");
            ListingAssert.Matches(truth, byDate, cachedDate, mailboxId, uidValidity, "cached, date", disputed);

            // Where the truth leaves a field open (duplicated headers), IMAP and cache must still agree exactly.
            ListingAssert.SameItems(cold.Items, cachedArrival, "cold vs cached");
            ListingAssert.SameItems(cold.Items, cachedDate, "cold vs cached (date order)");
            fromCache = cachedArrival;
        }

        // The cache turned off: every page from IMAP (SEARCH/SORT and UID FETCH), paged with tokens.
        await using (var app = new GatewayApplication(s => s["Cache:Enabled"] = "false", useRedis: useRedis))
        {
            var (client, _, _) = await app.LoginAsync(user);
            var mailboxId = await Listing.MailboxIdAsync(client, Path);
            var counter = new CommandCounter(app, user);
            var imapArrival = await Listing.AllAsync(client, mailboxId, "pageSize=40");
            var imapDate = await Listing.AllAsync(client, mailboxId, "pageSize=40&sort=date");
            var (commands, _) = counter.Delta();
            Assert.True(commands.GetValueOrDefault("UID FETCH") + commands.GetValueOrDefault("FETCH") >= (truth.Count + 39) / 40 * 2, CommandCounter.Describe(commands));
            ListingAssert.Matches(truth, arrival, imapArrival, mailboxId, uidValidity, "uncached, arrival");
            ListingAssert.Matches(truth, byDate, imapDate, mailboxId, uidValidity, "uncached, date", disputed);
            ListingAssert.SameItems(fromCache, imapArrival, "cached vs uncached");
            ListingAssert.SameItems(fromCache, imapDate, "cached vs uncached (date order)");
        }
    }
}

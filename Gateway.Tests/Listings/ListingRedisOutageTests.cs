using System.Diagnostics;
using System.Net;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// Redis goes away in the middle of use (this test's own redis-server, killed by PID): listings keep answering, from
/// IMAP, without stalling; when it is back (empty, no persistence), the cache is rebuilt and used again.
/// </summary>
public sealed class ListingRedisOutageTests
{
    private const string Path = "Outage";

    /// <summary>A generous bound: failing over to IMAP must not wait for Redis timeouts (not a performance target).</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task RedisStoppedMidTest_ListingsKeepAnsweringFromImap_ThenCacheIsUsedAgainWhenItReturns()
    {
        if (!OwnRedis.Available)
        {
            return;
        }

        await using var redis = await OwnRedis.StartAsync();
        var user = MailEnvironment.NewUser("outage");
        await using var imap = await TestImap.ConnectAsync(user);
        await ListingData.SeedGeneratedAsync(imap, Path);
        var uidValidity = (await imap.ExamineAsync(Path)).UidValidity;
        await using var app = new GatewayApplication(s =>
        {
            s["Redis:Configuration"] = redis.Configuration;
            s["Redis:OperationTimeout"] = "00:00:01";
            // The restarted Redis is empty: keep trusting the session this instance has seen, as it does while Redis is down.
            s["Sessions:LocalCacheDuration"] = "00:10:00";
        });
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var filler = app.Services.GetRequiredService<MailboxFiller>();
        var key = new MailboxCacheKey(mailboxId, uidValidity);
        var counter = new CommandCounter(app, user);

        // Cached while Redis is up.
        await Listing.PageAsync(client, mailboxId, "pageSize=20");
        await filler.WaitAsync(key);
        await AssertCachedAsync("before the outage");

        // Redis dies.
        await redis.StopAsync();
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        counter.Reset();
        var arrival = await TimedAllAsync("pageSize=40");
        var byDate = await TimedAllAsync("pageSize=40&sort=date");
        var filtered = await TimedAllAsync("pageSize=10&flagged=true&unread=true");
        var (commands, _) = counter.Delta();
        Assert.True(commands.GetValueOrDefault("UID FETCH") + commands.GetValueOrDefault("FETCH") > 0, "answered from IMAP: " + CommandCounter.Describe(commands));
        ListingAssert.Matches(truth, ImapTruth.ArrivalOrder(truth), arrival, mailboxId, uidValidity, "Redis down, arrival");
        ListingAssert.Matches(truth, ImapTruth.DateOrder(truth), byDate, mailboxId, uidValidity, "Redis down, date");
        Assert.Equal(truth.Where(t => t.Flagged && !t.Seen).Select(t => t.Uid).OrderDescending(), Listing.Uids(filtered));

        // Mail keeps arriving meanwhile, and shows.
        var added = await ListingData.AppendDatedAsync(imap, Path, [DateTimeOffset.UtcNow], seed: 9);
        var first = await TimedPageAsync("pageSize=5");
        Assert.Equal(added[0], Listing.Uids(first.Items)[0]);

        // Redis is back, empty: the next listings rebuild the cache, and then use it (no FETCH for an unchanged mailbox).
        await redis.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await TimedPageAsync("pageSize=20");
            await filler.WaitAsync(key);
            counter.Reset();
            await Listing.PageAsync(client, mailboxId, "pageSize=20");
            if (IsCacheOnly(counter.Delta().Commands))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the cache was not used again within a minute of Redis coming back");
            await Task.Delay(200);
        }

        await AssertCachedAsync("after the outage");
        truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        ListingAssert.Matches(truth, ImapTruth.DateOrder(truth), await Listing.AllAsync(client, mailboxId, "pageSize=40&sort=date"), mailboxId, uidValidity, "Redis back, date");

        async Task AssertCachedAsync(string when)
        {
            counter.Reset();
            await Listing.AllAsync(client, mailboxId, "pageSize=50");
            var (c, _) = counter.Delta();
            Assert.True(IsCacheOnly(c), $"{when}: {CommandCounter.Describe(c)}");
        }

        async Task<ListingPage> TimedPageAsync(string query, string? token = null)
        {
            var watch = Stopwatch.StartNew();
            var page = await Listing.PageAsync(client, mailboxId, query, token);
            Assert.True(watch.Elapsed < Stall, $"GET {query} took {watch.Elapsed}");
            Assert.Equal(HttpStatusCode.OK, page.Status);
            return page;
        }

        async Task<List<System.Text.Json.JsonElement>> TimedAllAsync(string query)
        {
            var all = new List<System.Text.Json.JsonElement>();
            string? token = null;
            do
            {
                var page = await TimedPageAsync(query, token);
                all.AddRange(page.Items);
                token = page.NextPageToken;
            }
            while (token is not null);
            return all;
        }
    }

    private static bool IsCacheOnly(Dictionary<string, long> commands) => CommandCounter.OnlyFreshnessChecks(commands);
}

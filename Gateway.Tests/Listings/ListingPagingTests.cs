using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using MailKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// Keyset paging through 1,000 messages seven at a time: every message exactly once and in order, from the cache and
/// from IMAP, in arrival and date order (with long runs of equal dates crossing page boundaries); and while another
/// client appends, expunges (the cursor message included) and flags messages between pages.
/// </summary>
public sealed class ListingPagingTests
{
    private const string Path = "Paging";

    [Theory]
    [InlineData("arrival", true)]
    [InlineData("date", true)]
    [InlineData("arrival", false)]
    [InlineData("date", false)]
    public async Task Paging1000_PageSize7_EveryMessageOnceInOrder(string sort, bool cache)
    {
        var user = MailEnvironment.NewUser("page");
        await using var imap = await TestImap.ConnectAsync(user);
        await ListingData.SeedThousandAsync(imap, Path);
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        var expected = sort == "date" ? ImapTruth.DateOrder(truth) : ImapTruth.ArrivalOrder(truth);
        Assert.Equal(1000, expected.Count);

        await using var app = Start(cache);
        var (client, mailboxId) = await LoginAsync(app, user, cache);

        var items = await Listing.AllAsync(client, mailboxId, $"pageSize=7&sort={sort}");

        Assert.Equal(expected, Listing.Uids(items));
        Assert.Equal(items.Count, items.Select(i => i.GetProperty("id").GetString()).Distinct().Count());
    }

    [Theory]
    [InlineData("arrival", true)]
    [InlineData("date", true)]
    [InlineData("arrival", false)]
    [InlineData("date", false)]
    public async Task Paging1000_WhileAnotherClientAppendsAndExpunges_NoSkipsNoDuplicatesNoNewcomers(string sort, bool cache)
    {
        var user = MailEnvironment.NewUser("pagemut");
        await using var imap = await TestImap.ConnectAsync(user);
        await ListingData.SeedThousandAsync(imap, Path);
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        var expected = sort == "date" ? ImapTruth.DateOrder(truth) : ImapTruth.ArrivalOrder(truth);

        await using var app = Start(cache);
        var (client, mailboxId) = await LoginAsync(app, user, cache);

        var folder = await imap.SelectAsync(Path);
        var expunged = new HashSet<uint>();
        var appended = new HashSet<uint>();
        var seen = new List<uint>();
        var seed = 100;

        async Task Expunge(uint uid)
        {
            await folder.AddFlagsAsync(new UniqueId(uid), MessageFlags.Deleted, silent: true);
            await folder.ExpungeAsync([new UniqueId(uid)]);
            expunged.Add(uid);
        }

        async Task Between(int page, List<JsonElement> items)
        {
            seen.AddRange(Listing.Uids(items));
            if (page % 5 == 0)
            {
                // One newer than everything, one older than everything: in date order the latter lands in the part of
                // the listing not yet paged through, and must still not show up in this pass.
                var dates = new[] { DateTimeOffset.UtcNow, new DateTimeOffset(2024, 12, 1, 0, 0, 0, TimeSpan.Zero) };
                appended.UnionWith(await ListingData.AppendDatedAsync(imap, Path, dates, seed++));
                await folder.CheckAsync();
            }

            if (page % 7 == 3)
            {
                await Expunge(seen[^1]); // the cursor message itself
            }

            if (page % 11 == 5)
            {
                // One not listed yet: it may be missing, but nothing around it may be skipped.
                var ahead = expected.Where(u => !seen.Contains(u) && !expunged.Contains(u)).Skip(3).FirstOrDefault();
                if (ahead != 0)
                {
                    await Expunge(ahead);
                }
            }

            if (page % 13 == 7)
            {
                await Expunge(seen[seen.Count / 2]); // one already listed
            }

            if (page % 3 == 1)
            {
                var next = expected.Where(u => !seen.Contains(u) && !expunged.Contains(u)).Take(2).Select(u => new UniqueId(u)).ToList();
                await folder.AddFlagsAsync(next, MessageFlags.Flagged, silent: true);
            }
        }

        var listed = Listing.Uids(await Listing.AllAsync(client, mailboxId, $"pageSize=7&sort={sort}", Between));

        Assert.True(appended.Count >= 20, "the test appended too little");
        Assert.True(expunged.Count >= 20, "the test expunged too little");
        Assert.Equal(listed.Count, listed.Distinct().Count()); // no duplicates
        Assert.DoesNotContain(listed, appended.Contains); // nothing that arrived during the pass
        var missing = expected.Where(u => !expunged.Contains(u) && !listed.Contains(u)).ToList();
        Assert.True(missing.Count == 0, $"skipped {missing.Count} messages that were never expunged: {string.Join(",", missing.Take(20))}");
        Assert.Equal(expected.Where(listed.Contains), listed); // in order
    }

    private static GatewayApplication Start(bool cache) =>
        cache ? new GatewayApplication() : new GatewayApplication(s => s["Cache:Enabled"] = "false");

    /// <summary>Logs in and, with the cache on, lets the first listing start the fill and waits for it, so that every
    /// page of the pass comes from the cache.</summary>
    private static async Task<(HttpClient Client, string MailboxId)> LoginAsync(GatewayApplication app, string user, bool cache)
    {
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        if (cache)
        {
            var first = await client.GetFromJsonAsync<JsonElement>(Listing.Url(mailboxId, "pageSize=1"));
            var uidValidity = Listing.ParseMessageId(first.GetProperty("items")[0].GetProperty("id").GetString()!).UidValidity;
            await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        }

        return (client, mailboxId);
    }
}

using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// <c>sort=date</c> must order a mailbox the same way whether a page comes from IMAP (the server's SORT) or from the
/// cache (the gateway's own date index): a paging pass may switch source between pages (the first page of a cold
/// mailbox comes from IMAP, the next from the cache once filled; or Redis fails mid-pass), and the keyset position
/// carried by the token is only meaningful if both agree. Date headers that parsers read differently (a year the
/// server rejects, a malformed first Date followed by a good one, fractional seconds) are where they can part.
/// </summary>
public sealed class ListingDateOrderConsistencyTests
{
    private const string Path = "Dates";

    /// <summary>A year Dovecot will not sort by, fractional seconds and a zone without sign, a malformed first Date.</summary>
    private static readonly string[] OddDates = ["Mon, 30 Jun 3609 15:33:50 +0600", "Tue, 17 Jul 2012 22:23:35.882 0000", "Tue, 7 Apr 2026 10:00:t <x@example.test>"];

    [Fact]
    public async Task DatePaging_FirstPageColdFromImap_RestFromCache_ShowsEveryMessageOnce()
    {
        var user = MailEnvironment.NewUser("dateswitch");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 30, seed: 31, start: new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero));
        foreach (var (date, i) in OddDates.Select((d, i) => (d, i)))
        {
            var m = TestMessages.Generated(32, i, DateTimeOffset.UnixEpoch);
            m.Headers.Replace(HeaderId.Date, date);
            await imap.AppendAsync(Path, m, receivedAt: new DateTimeOffset(2025, 4, 1, 0, 0, i, TimeSpan.Zero));
        }

        var uidValidity = (await imap.ExamineAsync(Path)).UidValidity;
        var all = (await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false)).Select(t => t.Uid).ToHashSet();

        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);

        // Page 1: cold, so from IMAP (SORT); then the cache is filled and the pass continues from it.
        var first = await Listing.PageAsync(client, mailboxId, "pageSize=5&sort=date");
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        var listed = Listing.Uids(first.Items);
        for (var token = first.NextPageToken; token is not null;)
        {
            var page = await Listing.PageAsync(client, mailboxId, "pageSize=5&sort=date", token);
            listed.AddRange(Listing.Uids(page.Items));
            token = page.NextPageToken;
        }

        var duplicated = listed.GroupBy(u => u).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var skipped = all.Except(listed).ToList();
        Assert.True(duplicated.Count == 0 && skipped.Count == 0,
            $"one sort=date pass, IMAP then cache: skipped [{string.Join(",", skipped)}], duplicated [{string.Join(",", duplicated)}]; listed [{string.Join(",", listed)}]");
    }

    [Fact]
    public async Task DateOrder_FromImapAndFromCache_Agree()
    {
        var user = MailEnvironment.NewUser("dateagree");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 10, seed: 33, start: new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero));
        var odd = TestMessages.Generated(34, 0, DateTimeOffset.UnixEpoch);
        odd.Headers.Replace(HeaderId.Date, "Mon, 30 Jun 3609 15:33:50 +0600");
        await imap.AppendAsync(Path, odd, receivedAt: new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var uidValidity = (await imap.ExamineAsync(Path)).UidValidity;

        List<uint> fromImap;
        await using (var uncached = new GatewayApplication(s => s["Cache:Enabled"] = "false"))
        {
            var (client, _, _) = await uncached.LoginAsync(user);
            fromImap = Listing.Uids(await Listing.AllAsync(client, await Listing.MailboxIdAsync(client, Path), "pageSize=100&sort=date"));
        }

        await using var app = new GatewayApplication();
        var (cachedClient, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(cachedClient, Path);
        await Listing.PageAsync(cachedClient, mailboxId, "pageSize=1");
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        var fromCache = Listing.Uids(await Listing.AllAsync(cachedClient, mailboxId, "pageSize=100&sort=date"));

        Assert.Equal(fromImap, fromCache);
    }
}

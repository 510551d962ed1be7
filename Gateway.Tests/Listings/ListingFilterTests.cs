using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using MailKit.Search;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>
/// Every filter, alone and combined, against the truth computed from the server's data: answered from the filled
/// cache, from IMAP SEARCH (cache off), and while a slow fill is still running (whichever answers, the result is the
/// same). Paged seven at a time so that filtered paging is exercised too.
/// </summary>
public sealed class ListingFilterTests
{
    private const string Path = "Filters";

    private static readonly DateTimeOffset Mar1 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A filter query and its meaning. <see cref="Text"/>, when set, is also searched with IMAP SEARCH TEXT by
    /// the test's own client (TEXT is defined as what the server finds).</summary>
    private sealed record Case(string Query, Func<TruthMessage, bool> Predicate, string? Text = null);

    private static IEnumerable<Case> Cases()
    {
        static bool Any(IReadOnlyList<TruthAddress> list, string needle) =>
            list.Any(a => a.Address.Contains(needle, StringComparison.OrdinalIgnoreCase) || (a.Name?.Contains(needle, StringComparison.OrdinalIgnoreCase) ?? false));

        yield return new("unread=true", t => !t.Seen);
        yield return new("unread=false", t => t.Seen);
        yield return new("flagged=true", t => t.Flagged);
        yield return new("flagged=false", t => !t.Flagged);
        yield return new("from=ALICE", t => Any(t.From, "alice"));
        yield return new("from=%C3%B8ster", t => Any(t.From, "øster")); // "Dave Øster", matched in lower case
        yield return new("from=second%40example", t => Any(t.From, "second@example")); // the second of two From addresses
        yield return new("from=example.in", t => Any(t.From, "example.in"));
        yield return new("to=member%20one", t => Any(t.To, "member one")); // a member of a group
        yield return new("to=solo%40example.test", t => Any(t.To, "solo@example.test"));
        yield return new("to=TEST%20USER", t => Any(t.To, "test user"));
        yield return new("subject=BUDGET", t => t.Subject?.Contains("budget", StringComparison.OrdinalIgnoreCase) == true);
        yield return new("subject=k%C3%B6ln", t => t.Subject?.Contains("köln", StringComparison.OrdinalIgnoreCase) == true);
        yield return new("subject=%231", t => t.Subject?.Contains("#1", StringComparison.Ordinal) == true);
        yield return new("text=Regards%2C%20Frank", _ => true, "Regards, Frank");
        yield return new("text=offset", _ => true, "offset");
        yield return new("since=2025-03-01", t => t.ReceivedAt >= Mar1);
        yield return new("since=2025-03-01T08:07:00Z", t => t.ReceivedAt >= Mar1.AddHours(8).AddMinutes(7)); // a message received exactly then
        yield return new("before=2025-01-10T08:07:00Z", t => t.ReceivedAt < new DateTimeOffset(2025, 1, 10, 8, 7, 0, TimeSpan.Zero)); // exclusive
        yield return new("since=2025-02-15T10:30:15Z&before=2025-02-20T09:01:00Z",
            t => t.ReceivedAt >= new DateTimeOffset(2025, 2, 15, 10, 30, 15, TimeSpan.Zero) && t.ReceivedAt < new DateTimeOffset(2025, 2, 20, 9, 1, 0, TimeSpan.Zero));
        yield return new("hasAttachments=true", t => t.HasAttachments);
        yield return new("hasAttachments=false", t => !t.HasAttachments);
        yield return new("unread=true&flagged=false&from=example.test&since=2025-01-15&hasAttachments=false",
            t => !t.Seen && !t.Flagged && Any(t.From, "example.test") && t.ReceivedAt >= new DateTimeOffset(2025, 1, 15, 0, 0, 0, TimeSpan.Zero) && !t.HasAttachments);
        yield return new("subject=review&flagged=true&sort=date", t => t.Flagged && t.Subject?.Contains("review", StringComparison.OrdinalIgnoreCase) == true);
        yield return new("text=Regards&unread=false&before=2025-03-02&sort=date", t => t.Seen && t.ReceivedAt < Mar1.AddDays(1), "Regards");
        yield return new("from=nobody-at-all&to=user", _ => false);
    }

    [Theory]
    [InlineData("cache")]
    [InlineData("imap")]
    [InlineData("filling")]
    public async Task EveryFilter_AloneAndCombined_MatchesTruth(string mode)
    {
        var user = MailEnvironment.NewUser("filter");
        await using var imap = await TestImap.ConnectAsync(user);
        await ListingData.SeedGeneratedAsync(imap, Path);
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        var folder = await imap.ExamineAsync(Path);
        var uidValidity = folder.UidValidity;

        await using var app = new GatewayApplication(s =>
        {
            if (mode == "imap")
            {
                s["Cache:Enabled"] = "false";
            }

            if (mode == "filling")
            {
                s["Cache:FillBatchSize"] = "50";
            }
        });
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        await Listing.PageAsync(client, mailboxId, "pageSize=5"); // cold: starts the fill (cache modes)
        if (mode == "cache")
        {
            await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, uidValidity));
        }

        var counter = new CommandCounter(app, user);
        var failures = new List<string>();
        var hits = 0;
        foreach (var c in Cases())
        {
            var expectedSet = truth.Where(c.Predicate).ToList();
            if (c.Text is not null)
            {
                var found = (await folder.SearchAsync(SearchQuery.BodyContains(c.Text).Or(SearchQuery.HeaderContains("Subject", c.Text)))).Select(u => u.Id).ToHashSet();
                var text = (await folder.SearchAsync(new TextSearchQuery(SearchTerm.MessageContains, c.Text))).Select(u => u.Id).ToHashSet();
                Assert.Superset(found, text); // sanity: TEXT finds at least what the body and subject hold
                expectedSet = expectedSet.Where(t => text.Contains(t.Uid)).ToList();
            }

            var expected = c.Query.Contains("sort=date", StringComparison.Ordinal) ? ImapTruth.DateOrder(expectedSet) : ImapTruth.ArrivalOrder(expectedSet);
            counter.Reset();
            var items = await Listing.AllAsync(client, mailboxId, "pageSize=7&" + c.Query);
            var (commands, _) = counter.Delta();
            var actual = Listing.Uids(items);
            hits += expected.Count;
            if (!actual.SequenceEqual(expected))
            {
                failures.Add($"{c.Query}: expected {expected.Count} [{string.Join(",", expected.Take(12))}...], got {actual.Count} [{string.Join(",", actual.Take(12))}...]"
                    + $" missing [{string.Join(",", expected.Except(actual).Take(8))}] extra [{string.Join(",", actual.Except(expected).Take(8))}]");
                continue;
            }

            if (mode == "cache" && c.Text is null && commands.Keys.Any(k => k.Contains("SEARCH", StringComparison.Ordinal) || k.Contains("SORT", StringComparison.Ordinal) || k.Contains("FETCH", StringComparison.Ordinal)))
            {
                failures.Add($"{c.Query}: answered from IMAP although the cache is complete: {CommandCounter.Describe(commands)}");
            }

            if (c.Text is not null && commands.GetValueOrDefault("UID SEARCH") + commands.GetValueOrDefault("SEARCH") + commands.GetValueOrDefault("UID SORT") == 0)
            {
                failures.Add($"{c.Query}: a text filter must be answered by IMAP SEARCH (or SORT): {CommandCounter.Describe(commands)}");
            }

            if (expected.Count > 0)
            {
                ListingAssert.Matches(truth, expected, items, mailboxId, uidValidity, c.Query);
            }
        }

        Assert.True(failures.Count == 0, $"{mode}: {failures.Count} filters differ:\n" + string.Join("\n", failures));
        Assert.True(hits > 1000, "the cases select too little to mean much");
    }
}

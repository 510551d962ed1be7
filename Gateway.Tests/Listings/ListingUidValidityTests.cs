using System.Net;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>A mailbox deleted and recreated by another client (a new UIDVALIDITY): tokens of the old generation answer
/// 410, and the listing is rebuilt with new ids.</summary>
public sealed class ListingUidValidityTests
{
    private const string Path = "Recreated";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MailboxRecreated_OldPageTokenGives410_ListingRebuiltWithNewIds(bool useRedis)
    {
        var user = MailEnvironment.NewUser("uidv");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 40, seed: 3);
        var oldValidity = (await imap.ExamineAsync(Path)).UidValidity;
        await using var app = new GatewayApplication(useRedis: useRedis);
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);

        var before = await Listing.PageAsync(client, mailboxId, "pageSize=5");
        var beforeByDate = await Listing.PageAsync(client, mailboxId, "pageSize=5&sort=date");
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, oldValidity));
        var oldIds = (await Listing.AllAsync(client, mailboxId, "pageSize=100")).Select(i => i.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(40, oldIds.Count);
        Assert.All(oldIds, id => Assert.Equal(oldValidity, Listing.ParseMessageId(id).UidValidity));

        // Another client deletes the mailbox and creates one of the same name with other messages. (Dovecot closes the
        // sessions that have it selected: the gateway's pooled connection among them.)
        await using (var deleter = await TestImap.ConnectAsync(user))
        {
            await (await deleter.FolderAsync(Path)).DeleteAsync();
        }

        await using var other = await TestImap.ConnectAsync(user);
        await other.AppendGeneratedAsync(Path, 12, seed: 4);
        var newValidity = (await other.ExamineAsync(Path)).UidValidity;
        Assert.NotEqual(oldValidity, newValidity);

        // Tokens of the old generation: 410, in both orders.
        await ProblemAssert.IsProblemAsync(
            await client.GetAsync(Listing.Url(mailboxId, "pageSize=5", before.NextPageToken)), HttpStatusCode.Gone, "uidvalidity-changed");
        await ProblemAssert.IsProblemAsync(
            await client.GetAsync(Listing.Url(mailboxId, "pageSize=5&sort=date", beforeByDate.NextPageToken)), HttpStatusCode.Gone, "uidvalidity-changed");

        // The listing from the first page: the new messages, with new ids; never an old one.
        var truth = await ImapTruth.ReadAsync(user, Path, findDuplicatedHeaders: false);
        var rebuilt = await Listing.AllAsync(client, mailboxId, "pageSize=5");
        ListingAssert.Matches(truth, ImapTruth.ArrivalOrder(truth), rebuilt, mailboxId, newValidity, "rebuilt, cold");
        Assert.DoesNotContain(rebuilt, i => oldIds.Contains(i.GetProperty("id").GetString()!));
        Assert.All(rebuilt, i => Assert.StartsWith("gen-4-", i.GetProperty("messageId").GetString(), StringComparison.Ordinal));

        // And the new generation is cached in turn: after its fill, pages cost no FETCH and still match.
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(new MailboxCacheKey(mailboxId, newValidity));
        var counter = new CommandCounter(app, user);
        var cached = await Listing.AllAsync(client, mailboxId, "pageSize=5&sort=date");
        var (commands, _) = counter.Delta();
        Assert.True(CommandCounter.OnlyFreshnessChecks(commands), CommandCounter.Describe(commands));
        ListingAssert.Matches(truth, ImapTruth.DateOrder(truth), cached, mailboxId, newValidity, "rebuilt, cached");
    }

    [Fact]
    public async Task MailboxDeleted_ListingAndItsOldTokenGive404()
    {
        var user = MailEnvironment.NewUser("uidvdel");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 10, seed: 5);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var page = await Listing.PageAsync(client, mailboxId, "pageSize=3");

        await using var other = await TestImap.ConnectAsync(user);
        await (await other.FolderAsync(Path)).DeleteAsync();

        await ProblemAssert.IsProblemAsync(await client.GetAsync(Listing.Url(mailboxId, "pageSize=3")), HttpStatusCode.NotFound, "mailbox-not-found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Listing.Url(mailboxId, "pageSize=3", page.NextPageToken)), HttpStatusCode.NotFound, "mailbox-not-found");
    }
}

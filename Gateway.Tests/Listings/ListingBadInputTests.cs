using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Listings;

/// <summary>Bad listing requests answer 400 <c>validation-failed</c> (never a 500); page tokens are bound to the
/// account and the query; an unknown mailbox is 404.</summary>
public sealed class ListingBadInputTests
{
    private const string Path = "Bad";

    private static readonly string[] BadQueries =
    [
        "pageSize=0",
        "pageSize=",
        "unread=",
        "from=",
        "sort=",
        "since=",
        "pageSize=-1",
        "pageSize=-2147483648",
        "pageSize=abc",
        "pageSize=1.5",
        "unread=maybe",
        "flagged=2",
        "hasAttachments=yes",
        "sort=bogus",
        "sort=1",
        "since=notadate",
        "since=2025-13-01",
        "since=2025-02-30",
        "since=2025-01-01T25:00:00Z",
        "before=yesterday",
        "before=1735689600",
        "to=" + new string('x', 257),
        "subject=line%0Abreak",
        "text=nul%00byte",
        "pageToken=not%20a%20token",
        "pageToken=A",
        "pageToken=AAAAA",
        "pageToken=" + new string('A', 37),
        "pageToken=" + new string('A', 38),
        "pageToken=" + new string('A', 39),
        "pageToken=" + new string('A', 40),
        "pageToken=" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "pageToken=" + "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-",
        "pageToken=" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 65 characters
    ];

    [Fact]
    public async Task BadQueries_Give400ValidationFailed()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(MailEnvironment.NewUser("bad"));
        var failures = new List<string>();
        foreach (var query in BadQueries)
        {
            var response = await client.GetAsync(Listing.Url("inbox", query));
            try
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
            {
                failures.Add($"{query}: {ex.Message.Split('\n')[0]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("bad!id")]
    [InlineData("a.b")]
    [InlineData("a%20b")]
    [InlineData("%C3%A9t%C3%A9")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 65 characters
    public async Task MalformedMailboxId_Gives400(string mailboxId)
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(MailEnvironment.NewUser("badmbx"));

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}/messages"), HttpStatusCode.BadRequest, "validation-failed");
    }

    [Fact]
    public async Task UnknownMailbox_Gives404()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(MailEnvironment.NewUser("nombx"));

        await ProblemAssert.IsProblemAsync(await client.GetAsync(Listing.Url("AAAAAAAAAAAAAAAAAAAAAA")), HttpStatusCode.NotFound, "mailbox-not-found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(Listing.Url("nosuchmailbox", "pageSize=5&sort=date")), HttpStatusCode.NotFound, "mailbox-not-found");
    }

    [Fact]
    public async Task HugePageSize_IsClampedTo500()
    {
        var user = MailEnvironment.NewUser("clamp");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 520);
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);

        foreach (var size in new[] { "501", "100000", "2147483647" })
        {
            var page = await Listing.PageAsync(client, mailboxId, "pageSize=" + size);
            Assert.Equal(500, page.Items.Count);
            Assert.NotNull(page.NextPageToken);
            var rest = await Listing.PageAsync(client, mailboxId, "pageSize=" + size, page.NextPageToken);
            Assert.Equal(20, rest.Items.Count);
            Assert.Null(rest.NextPageToken);
        }
    }

    [Fact]
    public async Task PageToken_IsBoundToAccountMailboxAndQuery()
    {
        var user = MailEnvironment.NewUser("tok");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync(Path, 30);
        await imap.AppendGeneratedAsync("Other", 30);
        var otherUser = MailEnvironment.NewUser("tok2");
        await using var otherImap = await TestImap.ConnectAsync(otherUser);
        await otherImap.AppendGeneratedAsync(Path, 30);

        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, Path);
        var otherMailboxId = await Listing.MailboxIdAsync(client, "Other");
        var page = await Listing.PageAsync(client, mailboxId, "pageSize=5&unread=true");
        var token = page.NextPageToken!;

        // The same query goes on (pageSize is not part of the query's identity).
        Assert.Equal(5, (await Listing.PageAsync(client, mailboxId, "pageSize=5&unread=true", token)).Items.Count);
        Assert.Equal(7, (await Listing.PageAsync(client, mailboxId, "pageSize=7&unread=true", token)).Items.Count);

        // Another query, another mailbox, another account: 400.
        var failures = new List<string>();
        async Task Expect400(HttpClient c, string id, string query, string what)
        {
            var response = await c.GetAsync(Listing.Url(id, query, token));
            try
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                failures.Add($"{what}: {ex.Message.Split('\n')[0]}");
            }
        }

        await Expect400(client, mailboxId, "pageSize=5", "without the filter");
        await Expect400(client, mailboxId, "pageSize=5&unread=false", "another filter value");
        await Expect400(client, mailboxId, "pageSize=5&unread=true&flagged=false", "an added filter");
        await Expect400(client, mailboxId, "pageSize=5&unread=true&sort=date", "another sort");
        await Expect400(client, mailboxId, "pageSize=5&unread=true&since=2020-01-01", "an added date filter");
        await Expect400(client, otherMailboxId, "pageSize=5&unread=true", "another mailbox");

        var (otherClient, _, _) = await app.LoginAsync(otherUser);
        var otherAccountsMailbox = await Listing.MailboxIdAsync(otherClient, Path);
        await Expect400(otherClient, otherAccountsMailbox, "pageSize=5&unread=true", "another account, same mailbox name");
        // The first account's mailbox id does not even name a mailbox of the other account.
        await ProblemAssert.IsProblemAsync(
            await otherClient.GetAsync(Listing.Url(mailboxId, "pageSize=5&unread=true", token)), HttpStatusCode.NotFound, "mailbox-not-found");

        // A token tampered with in its binding part.
        var tampered = token[..4] + (token[4] == 'A' ? 'B' : 'A') + token[5..];
        var response = await client.GetAsync(Listing.Url(mailboxId, "pageSize=5&unread=true", tampered));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task AnotherAccountsId_InThePath_Gives404()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(MailEnvironment.NewUser("acct1"));
        var (_, otherAccount, _) = await app.LoginAsync(MailEnvironment.NewUser("acct2"));

        var response = await client.GetAsync($"/api/v1/accounts/{otherAccount}/mailboxes/inbox/messages");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        _ = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}

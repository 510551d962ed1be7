using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Core.Imap;
using Gateway.Core.Messages.Cache;
using Gateway.Tests.Imap;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cache;

/// <summary>The background fill of a cold mailbox, seen from HTTP and from the IMAP command counters.</summary>
public sealed class MailboxFillTests
{
    private static ImapAccountKey Key(string user) =>
        new(MailEnvironment.ImapHost, MailEnvironment.ImapPort, ImapSecurity.None, user, ImapAuthMethod.Password);

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public async Task Concurrent_listings_of_a_cold_mailbox_start_one_fill_and_answer_before_it_ends(bool useRedis, int fillConnections)
    {
        var user = MailEnvironment.NewUser("fill");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("INBOX", 2000);
        }

        await using var app = new GatewayApplication(
            s =>
            {
                s["Cache:FillBatchSize"] = "50";
                s["Cache:FillConnections"] = fillConnections.ToString(System.Globalization.CultureInfo.InvariantCulture);
            },
            useRedis);
        var (client, _, _) = await app.LoginAsync(user);
        var pool = app.Services.GetRequiredService<IImapSessionPool>();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=20")));
        var fetchesWhenAnswered = pool.GetStats(Key(user)).Commands("UID FETCH");

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
        {
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            var uids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("uid").GetInt64()).ToArray();
            Assert.Equal(Enumerable.Range(1981, 20).Select(i => (long)i).Reverse(), uids);
        }

        // The pages did not wait for the mailbox: far fewer than the 40 batches had been fetched when they were answered.
        Assert.True(fetchesWhenAnswered < 40, $"{fetchesWhenAnswered} UID FETCH before the pages were answered");

        var mailbox = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        var key = new MailboxCacheKey(mailbox.GetProperty("id").GetString()!, (uint)mailbox.GetProperty("uidValidity").GetInt64());
        await app.Services.GetRequiredService<MailboxFiller>().WaitAsync(key);

        var stats = pool.GetStats(Key(user));
        Assert.Equal(1, stats.Commands("UID SEARCH")); // one fill: one search for the UIDs to fetch
        Assert.InRange(stats.Commands("UID FETCH"), 40, 41); // 2,000 in batches of 50 (+ none for the pages)

        mailbox = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        Assert.Equal("complete", mailbox.GetProperty("cache").GetProperty("status").GetString());
        Assert.Equal(2000, mailbox.GetProperty("cache").GetProperty("cachedMessages").GetInt64());

        // Filled: the same page again costs one STATUS and no FETCH of any kind.
        var before = pool.GetStats(Key(user));
        var again = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox/messages?pageSize=20");
        var after = pool.GetStats(Key(user));
        Assert.Equal(20, again.GetProperty("items").GetArrayLength());
        Assert.Equal(before.Commands("UID FETCH"), after.Commands("UID FETCH"));
        Assert.Equal(before.Commands("FETCH"), after.Commands("FETCH"));
        Assert.Equal(before.Commands("STATUS") + 1, after.Commands("STATUS"));
    }

    [Fact]
    public async Task A_fill_whose_pooled_connection_the_server_dropped_completes_on_a_fresh_one()
    {
        var user = MailEnvironment.NewUser("filldead");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("Other", 300, seed: 2);
        }

        await using var app = new GatewayApplication(s => s["Cache:FillBatchSize"] = "50");
        var (client, _, _) = await app.LoginAsync(user);
        var mailboxId = await Listing.MailboxIdAsync(client, "Other");
        var mailbox = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/me/mailboxes/{mailboxId}");
        var key = new MailboxCacheKey(mailboxId, (uint)mailbox.GetProperty("uidValidity").GetInt64());

        // An idle pooled connection with the mailbox selected (the one a fill prefers), then the server drops it: the
        // pool learns of it only by using it. (Dovecot does this to every session that had a deleted mailbox selected.)
        var pool = app.Services.GetRequiredService<IImapSessionPool>();
        var account = ImapTestServer.Account(user);
        await using (var lease = await pool.AcquireAsync(account, "Other", CancellationToken.None))
        {
            await lease.OpenMailboxAsync("Other", MailKit.FolderAccess.ReadOnly, CancellationToken.None);
        }

        await ImapTestServer.KickAsync(user);

        var filler = app.Services.GetRequiredService<MailboxFiller>();
        filler.Start(account, "Other", key);
        await filler.WaitAsync(key);

        mailbox = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/me/mailboxes/{mailboxId}");
        Assert.Equal("complete", mailbox.GetProperty("cache").GetProperty("status").GetString());
        Assert.Equal(300, mailbox.GetProperty("cache").GetProperty("cachedMessages").GetInt64());
        Assert.Equal(1, pool.GetStats(account.Key).ConnectionsDiscarded);
    }
}

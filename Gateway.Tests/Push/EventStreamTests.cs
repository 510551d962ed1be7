using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Core.Push;
using Gateway.Tests.Imap;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Listings;
using MailKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Push;

/// <summary>The event stream against the real Dovecot (NOTIFY) and Redis, with two gateway instances.</summary>
public sealed class EventStreamTests
{
    /// <summary>The goal is 1 s (measured by bench/run.sh); on a loaded CI machine the test allows more.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);

    private static GatewayApplication App(Action<IDictionary<string, string?>>? configure = null, bool useRedis = true) =>
        new(s =>
        {
            s["Push:WatcherGrace"] = "00:00:00";
            configure?.Invoke(s);
        }, useRedis);

    /// <summary>An instance on a real loopback port (Kestrel), as two gateway processes behind one Redis would be.</summary>
    private static GatewayApplication OnPort(GatewayApplication app)
    {
        app.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        app.StartServer();
        return app;
    }

    private static Dictionary<string, string> Mailboxes(SseEvent e) =>
        JsonDocument.Parse(e.Data).RootElement.GetProperty("mailboxes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    private static async Task<SseClient> SubscribeAsync(HttpClient client, string? lastEventId = null)
    {
        var sse = await SseClient.OpenAsync(client, "/api/v1/accounts/me/events", lastEventId);
        await sse.WaitForAsync("ready");
        return sse;
    }

    /// <summary>Subscribes, then waits until the account is watched: "ready" also comes when the watcher has not
    /// started within a few seconds (a busy CI machine), and changes made before it starts are not reported.</summary>
    private static async Task<SseClient> SubscribeWatchedAsync(GatewayApplication app, HttpClient client, string accountId)
    {
        var sse = await SubscribeAsync(client);
        var watchers = app.Services.GetRequiredService<PushWatchers>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await watchers.IsWatchedAsync(accountId, CancellationToken.None))
        {
            Assert.True(DateTime.UtcNow < until, "The watcher did not start in 30 s.");
            await Task.Delay(50);
        }

        return sse;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task External_appends_to_INBOX_and_another_mailbox_arrive_as_events_with_the_listing_state(bool useRedis)
    {
        var user = MailEnvironment.NewUser("sse");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("Projects", 2, seed: 1);
        await using var app = App(useRedis: useRedis);
        var (client, accountId, _) = await app.LoginAsync(user);
        var inboxId = (await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox")).GetProperty("id").GetString()!;
        var projectsId = await Listing.MailboxIdAsync(client, "Projects");
        await Listing.PageAsync(client, projectsId, "pageSize=5"); // a cached listing: the watcher refreshes it

        await using var sse = await SubscribeWatchedAsync(app, client, accountId);
        foreach (var (path, id) in new[] { ("INBOX", inboxId), ("Projects", projectsId) })
        {
            var clock = Stopwatch.StartNew();
            await imap.AppendGeneratedAsync(path, 1, seed: 7);
            var e = await sse.WaitForAsync("state", e => Mailboxes(e).ContainsKey(id), Deadline);
            Assert.True(clock.Elapsed < Deadline, $"{path}: {clock.Elapsed}");
            Assert.NotNull(e.Id);

            // The state in the event is the mailbox's state now: the listing says the same.
            var page = await Listing.PageAsync(client, id, "pageSize=5");
            Assert.Equal(page.State, Mailboxes(e)[id]);
        }
    }

    [Fact]
    public async Task A_write_through_instance_B_reaches_a_subscriber_of_instance_A_with_one_watcher_in_the_cluster()
    {
        var user = MailEnvironment.NewUser("sse2");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("INBOX", 3, seed: 2);
        await using var a = OnPort(App());
        await using var b = OnPort(App());
        var (clientA, accountId, _) = await a.LoginAsync(user);
        var (clientB, _, _) = await b.LoginAsync(user);

        await using var sseA = await SubscribeWatchedAsync(a, clientA, accountId);
        await using var sseB = await SubscribeAsync(clientB);
        var watchersA = a.Services.GetRequiredService<PushWatchers>();
        var watchersB = b.Services.GetRequiredService<PushWatchers>();
        Assert.Equal(1, watchersA.RunningWatchers + watchersB.RunningWatchers);

        var created = await clientB.PostAsJsonAsync("/api/v1/accounts/me/mailboxes", new { name = "FromB" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var e = await sseA.WaitForAsync("state", e => JsonDocument.Parse(e.Data).RootElement.GetProperty("mailboxListChanged").GetBoolean(), Deadline);
        Assert.NotNull(e.Id);
        await sseB.WaitForAsync("state", other => other.Id == e.Id, Deadline);

        // A message write through B: A's subscriber hears of INBOX's new state.
        var inbox = await clientB.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        var inboxState = (await Listing.PageAsync(clientB, inbox.GetProperty("id").GetString()!, "pageSize=1"));
        var firstId = inboxState.Items[0].GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await clientB.PatchAsJsonAsync($"/api/v1/accounts/me/messages/{firstId}", new { flagged = true })).StatusCode);
        var flaggedEvent = await sseA.WaitForAsync("state", x => Mailboxes(x).ContainsKey(inbox.GetProperty("id").GetString()!), Deadline);
        Assert.NotEqual(inboxState.State, Mailboxes(flaggedEvent)[inbox.GetProperty("id").GetString()!]);

        // The watcher's instance loses its subscriber: the other instance's subscriber keeps it alive.
        var (holderStream, other, otherStream) = watchersA.RunningWatchers == 1 ? (sseA, clientB, sseB) : (sseB, clientA, sseA);
        await holderStream.DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await imap.AppendGeneratedAsync("INBOX", 1, seed: 3);
        var inboxId = (await other.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox")).GetProperty("id").GetString()!;
        await otherStream.WaitForAsync("state", e => Mailboxes(e).ContainsKey(inboxId), TimeSpan.FromSeconds(10));
        Assert.Equal(1, watchersA.RunningWatchers + watchersB.RunningWatchers);
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_receives_what_it_missed()
    {
        var user = MailEnvironment.NewUser("sse3");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("INBOX", 1, seed: 4);
        await using var app = App(s => s["Push:WatcherGrace"] = "00:01:00");
        var (client, accountId, _) = await app.LoginAsync(user);
        var inboxId = (await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox")).GetProperty("id").GetString()!;

        string lastId;
        await using (var sse = await SubscribeWatchedAsync(app, client, accountId))
        {
            await imap.AppendGeneratedAsync("INBOX", 1, seed: 5);
            lastId = (await sse.WaitForAsync("state", e => Mailboxes(e).ContainsKey(inboxId), Deadline)).Id!;
        }

        // While disconnected (the watcher lives on for its grace period): two more changes.
        await imap.AppendGeneratedAsync("INBOX", 1, seed: 6);
        await Task.Delay(1500);
        await imap.AppendGeneratedAsync("Later", 1, seed: 8);
        var laterId = await Listing.MailboxIdAsync(client, "Later");
        await Task.Delay(1500);
        var expected = (await Listing.PageAsync(client, inboxId, "pageSize=1")).State;

        await using var again = await SseClient.OpenAsync(client, "/api/v1/accounts/me/events", lastId);
        var seen = new Dictionary<string, string>();
        while (!seen.ContainsKey(laterId) || seen.GetValueOrDefault(inboxId) != expected)
        {
            var e = await again.NextAsync(Deadline);
            Assert.NotEqual("reset", e.Event);
            foreach (var (id, state) in e.Event == "state" ? Mailboxes(e) : [])
            {
                seen[id] = state;
            }
        }

        // The same through ?lastEventId= on a new stream (a browser's new EventSource cannot set the header).
        await using (var byQuery = await SseClient.OpenAsync(client, $"/api/v1/accounts/me/events?lastEventId={lastId}"))
        {
            var replayed = new Dictionary<string, string>();
            while (!replayed.ContainsKey(laterId) || replayed.GetValueOrDefault(inboxId) != expected)
            {
                var e = await byQuery.NextAsync(Deadline);
                Assert.NotEqual("reset", e.Event);
                foreach (var (id, state) in e.Event == "state" ? Mailboxes(e) : [])
                {
                    replayed[id] = state;
                }
            }
        }

        // And a Last-Event-ID this log never had: reset.
        await using var bogus = await SseClient.OpenAsync(client, "/api/v1/accounts/me/events", "1-999999");
        Assert.Equal("reset", (await bogus.NextAsync()).Event);
    }

    [Fact]
    public async Task Tickets_work_once_expire_and_never_carry_the_token()
    {
        var user = MailEnvironment.NewUser("sse4");
        await using var app = App(s => s["Push:TicketLifetime"] = "00:00:01");
        var (client, _, token) = await app.LoginAsync(user);
        var anonymous = app.CreateClient();

        var response = await client.PostAsync("/api/v1/accounts/me/events/ticket", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        Assert.DoesNotContain(token, ticket, StringComparison.Ordinal);

        await using (var sse = await SseClient.OpenAsync(anonymous, $"/api/v1/accounts/me/events?ticket={ticket}"))
        {
            await sse.WaitForAsync("ready");
        }

        // Used once: refused.
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync($"/api/v1/accounts/me/events?ticket={ticket}"), HttpStatusCode.Unauthorized, "unauthorized");

        // Expired: refused.
        var late = (await (await client.PostAsync("/api/v1/accounts/me/events/ticket", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        await Task.Delay(1500);
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync($"/api/v1/accounts/me/events?ticket={late}"), HttpStatusCode.Unauthorized, "unauthorized");

        // A ticket opens only the event stream, and the bearer token is never accepted in a URL.
        var other = (await (await client.PostAsync("/api/v1/accounts/me/events/ticket", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync($"/api/v1/accounts/me/mailboxes?ticket={other}"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync($"/api/v1/accounts/me/events?access_token={token}"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Closing_the_last_subscriber_stops_the_watcher_and_its_connection()
    {
        var user = MailEnvironment.NewUser("sse5");
        await using var app = App();
        var (client, accountId, _) = await app.LoginAsync(user);
        var watchers = app.Services.GetRequiredService<PushWatchers>();
        var before = await ImapTestServer.CountServerConnectionsAsync(user);

        var first = await SubscribeAsync(client);
        var second = await SubscribeAsync(client);
        Assert.True(watchers.HasWatcher(accountId));
        Assert.Equal(1, watchers.RunningWatchers);
        Assert.Equal(before + 1, await ImapTestServer.CountServerConnectionsAsync(user));

        await first.DisposeAsync();
        await Task.Delay(500);
        Assert.True(watchers.HasWatcher(accountId)); // one subscriber left

        await second.DisposeAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (watchers.HasWatcher(accountId) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.False(watchers.HasWatcher(accountId));
        Assert.Equal(before, await ImapTestServer.WaitForServerConnectionsAsync(user, before));
    }

    [Theory]
    [InlineData("")]
    [InlineData("NOTIFY")]
    [InlineData("NOTIFY,IDLE")]
    public async Task Flags_expunges_and_appends_in_another_mailbox_arrive_and_the_watcher_refreshes_the_cache(string disabled)
    {
        var user = MailEnvironment.NewUser("sse6");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync("Work", 6, seed: 9);
        await using var app = App(s =>
        {
            s["Imap:DisabledExtensions"] = disabled;
            s["Push:PollInterval"] = "00:00:00.300";
        });
        var (client, accountId, _) = await app.LoginAsync(user);
        var workId = await Listing.MailboxIdAsync(client, "Work");
        await Listing.PageAsync(client, workId, "pageSize=10");
        var mailbox = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/me/mailboxes/{workId}");
        await app.Services.GetRequiredService<Gateway.Core.Messages.Cache.MailboxFiller>().WaitAsync(
            new Gateway.Core.Messages.Cache.MailboxCacheKey(workId, (uint)mailbox.GetProperty("uidValidity").GetInt64()));

        await using var sse = await SubscribeWatchedAsync(app, client, accountId);
        var folder = await imap.SelectAsync("Work");
        var changes = new Func<Task>[]
        {
            () => folder.AddFlagsAsync(new UniqueId(uids[0]), MessageFlags.Flagged, silent: true),
            async () =>
            {
                await folder.AddFlagsAsync(new UniqueId(uids[1]), MessageFlags.Deleted, silent: true);
                await folder.ExpungeAsync([new UniqueId(uids[1])]);
            },
            () => imap.AppendGeneratedAsync("Work", 1, seed: 10),
        };
        foreach (var change in changes)
        {
            await change();
            var e = await sse.WaitForAsync("state", e => Mailboxes(e).ContainsKey(workId), Deadline);

            // The watcher brought the header cache up to date before publishing: the listing fetches nothing.
            var counter = new CommandCounter(app, user);
            var page = await Listing.PageAsync(client, workId, "pageSize=10");
            var (commands, _) = counter.Delta();
            Assert.Equal(page.State, Mailboxes(e)[workId]);
            Assert.True(CommandCounter.OnlyFreshnessChecks(commands), CommandCounter.Describe(commands));
        }
    }

    [Fact]
    public async Task The_watcher_cap_is_respected()
    {
        await using var app = App(s => s["Push:MaxWatchers"] = "1");
        var (first, _, _) = await app.LoginAsync();
        var (second, _, _) = await app.LoginAsync();
        await using var a = await SubscribeAsync(first);
        await using var b = await SubscribeAsync(second); // "ready" comes anyway, after a short wait
        Assert.Equal(1, app.Services.GetRequiredService<PushWatchers>().RunningWatchers);
    }

    [Fact]
    public async Task With_a_watcher_listings_skip_the_IMAP_check_and_writes_on_another_instance_still_show_at_once()
    {
        var user = MailEnvironment.NewUser("sse7");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync("INBOX", 8, seed: 12);
        await using var a = OnPort(App());
        await using var b = OnPort(App());
        var (clientA, accountId, _) = await a.LoginAsync(user);
        var (clientB, _, _) = await b.LoginAsync(user);
        var inbox = await clientA.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes/inbox");
        var inboxId = inbox.GetProperty("id").GetString()!;
        await Listing.PageAsync(clientA, inboxId, "pageSize=20");
        await a.Services.GetRequiredService<Gateway.Core.Messages.Cache.MailboxFiller>().WaitAsync(
            new Gateway.Core.Messages.Cache.MailboxCacheKey(inboxId, (uint)inbox.GetProperty("uidValidity").GetInt64()));
        await using var sse = await SubscribeWatchedAsync(a, clientA, accountId);

        // Vouched by the watcher: an unchanged mailbox's listing sends nothing to IMAP, on either instance.
        foreach (var (app, client) in new[] { (a, clientA), (b, clientB) })
        {
            var quiet = false;
            for (var i = 0; i < 40 && !quiet; i++)
            {
                var counter = new CommandCounter(app, user);
                await Listing.PageAsync(client, inboxId, "pageSize=20");
                quiet = counter.Delta().Commands.Count == 0;
                if (!quiet)
                {
                    await Task.Delay(100);
                }
            }

            Assert.True(quiet, "listings still check with IMAP while a watcher vouches the state");
        }

        // A write through B shows on A's very next listing (the write withdrew the vouch before answering).
        var id = Gateway.Core.Messages.MessageIds.For(inboxId, (uint)inbox.GetProperty("uidValidity").GetInt64(), uids[3]);
        var patched = await clientB.PatchAsJsonAsync($"/api/v1/accounts/me/messages/{id}", new { flagged = true });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var page = await Listing.PageAsync(clientA, inboxId, "pageSize=20");
        Assert.True(page.Items.Single(i => i.GetProperty("id").GetString() == id).GetProperty("flagged").GetBoolean());

        // An external change is seen within the push delay, and the listing then follows it.
        await imap.AppendGeneratedAsync("INBOX", 1, seed: 13);
        await sse.WaitForAsync("state", e => Mailboxes(e).ContainsKey(inboxId), Deadline);
        var after = await Listing.PageAsync(clientA, inboxId, "pageSize=20");
        Assert.Equal(9, after.Items.Count); // 8 seeded + 1 appended: the event came after the new state was vouched
    }
}

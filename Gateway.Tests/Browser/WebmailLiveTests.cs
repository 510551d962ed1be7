using System.Text.RegularExpressions;
using Gateway.Core.Push;
using Gateway.Tests.Infrastructure;
using MailKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MimeKit;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>The SPA in Chromium: live updates over SSE, the keyboard, phone width, and the cache-fill progress.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WebmailLiveTests(BrowserFixture browser)
{
    [GeneratedRegex(@"\bcursor\b")]
    private static partial Regex Cursor();

    [Fact]
    public async Task AMessageAppendedByAnotherImapClient_AppearsWithoutReload()
    {
        var user = MailEnvironment.NewUser("web-live");
        await using var imap = await TestImap.ConnectAsync(user);
        await imap.AppendGeneratedAsync("INBOX", 2);

        await using var web = await Webmail.StartAsync(browser, s => s["Push:WatcherGrace"] = "00:00:00");
        var page = web.Page;
        await web.LoginAsync(user);
        await Expect(web.Rows).ToHaveCountAsync(2);
        await Expect(web.Mailbox("INBOX").Locator(".unread")).ToHaveTextAsync("1");

        // The page opened its event stream (ticket + EventSource); changes made before the account's watcher read the
        // mailboxes once are not reported, so wait for it as the push tests do.
        var (client, accountId, _) = await web.App.LoginAsync(user);
        client.Dispose();
        var watchers = web.App.Services.GetRequiredService<PushWatchers>();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await watchers.IsWatchedAsync(accountId, CancellationToken.None))
        {
            Assert.True(DateTime.UtcNow < until, "The page's event stream did not get the account watched in 30 s.");
            await Task.Delay(50);
        }

        var requestsBefore = web.Requests.Count(u => u.EndsWith("/app/", StringComparison.Ordinal));
        var message = new MimeMessage(
            [new MailboxAddress("Another Client", "other@example.test")], [new MailboxAddress("Test User", "user@example.test")],
            "Appended elsewhere", new TextPart("plain") { Text = "Hello from another IMAP client." });
        await imap.AppendAsync("INBOX", message);

        await Expect(web.Row("Appended elsewhere")).ToBeVisibleAsync();
        await Expect(web.Rows).ToHaveCountAsync(3);
        await Expect(web.Rows.First).ToContainTextAsync("Appended elsewhere");
        await Expect(web.Mailbox("INBOX").Locator(".unread")).ToHaveTextAsync("2");
        Assert.Equal(requestsBefore, web.Requests.Count(u => u.EndsWith("/app/", StringComparison.Ordinal))); // no reload
        await web.AssertCleanAsync();
    }

    [Fact]
    public async Task Keyboard_MovesOpensFlagsAndCloses()
    {
        var user = MailEnvironment.NewUser("web-keys");
        await using var imap = await TestImap.ConnectAsync(user);
        var uids = await imap.AppendGeneratedAsync("INBOX", 5); // #4 newest, listed first

        await using var web = await Webmail.StartAsync(browser);
        var page = web.Page;
        await web.LoginAsync(user);
        await Expect(web.Rows).ToHaveCountAsync(5);
        await Expect(web.Rows.Nth(0)).ToHaveClassAsync(Cursor());

        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("j");
        await Expect(web.Rows.Nth(2)).ToHaveClassAsync(Cursor());
        await page.Keyboard.PressAsync("k");
        await Expect(web.Rows.Nth(1)).ToHaveClassAsync(Cursor());
        await Expect(web.Rows.Nth(2)).Not.ToHaveClassAsync(Cursor());

        await page.Keyboard.PressAsync("Enter");
        await Expect(web.Reader.Locator("h2")).ToContainTextAsync("#3");
        await Expect(web.Rows.Nth(1)).ToHaveAttributeAsync("aria-selected", "true");

        // s flags the message under the cursor, on the server too.
        await page.Keyboard.PressAsync("s");
        await Expect(web.Rows.Nth(1).Locator(".flag")).ToBeVisibleAsync();
        await Expect(web.Reader.GetByRole(AriaRole.Button, new() { Name = "Unflag" })).ToBeVisibleAsync();
        var folder = await imap.ExamineAsync("INBOX");
        var flags = (await folder.FetchAsync([new UniqueId(uids[3])], MessageSummaryItems.Flags)).Single().Flags ?? MessageFlags.None;
        Assert.True(flags.HasFlag(MessageFlags.Flagged), "s did not flag #3 on the server");

        // j with a message open opens the next one; Escape closes the reader.
        await page.Keyboard.PressAsync("j");
        await Expect(web.Reader.Locator("h2")).ToContainTextAsync("#2");
        await page.Keyboard.PressAsync("Escape");
        await Expect(web.Reader).ToHaveCountAsync(0);
        await Expect(page.GetByText("Select a message")).ToBeVisibleAsync();
        await web.AssertCleanAsync();
    }

    [Fact]
    public async Task PhoneWidth_ShowsOnePaneAtATime_WithoutSidewaysScrolling()
    {
        var user = MailEnvironment.NewUser("web-phone");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("INBOX", 30);
        }

        await using var web = await Webmail.StartAsync(browser, viewport: new ViewportSize { Width = 375, Height = 740 });
        var page = web.Page;
        await web.LoginAsync(user);
        await Expect(web.Rows).ToHaveCountAsync(30);
        await Expect(web.Mailbox("INBOX")).ToBeVisibleAsync();
        await Expect(page.Locator("section.reader")).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The list scrolls sideways at 375 px.");
        await Webmail.ScreenshotAsync(page, "phone-list");

        await web.Rows.Nth(0).ClickAsync();
        await Expect(web.Reader.Locator("h2")).ToContainTextAsync("#29");
        await Expect(page.Locator("section.list")).ToBeHiddenAsync();
        await Expect(page.Locator("nav.mailboxes")).ToBeHiddenAsync();
        var back = web.Reader.GetByRole(AriaRole.Button, new() { Name = "Back to the list" });
        await Expect(back).ToBeVisibleAsync();
        foreach (var name in new[] { "Flag", "Mark unread", "Delete" })
        {
            await Expect(web.Reader.GetByRole(AriaRole.Button, new() { Name = name, Exact = true })).ToBeInViewportAsync();
        }

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The message scrolls sideways at 375 px.");
        await Webmail.ScreenshotAsync(page, "phone-message");

        await back.ClickAsync();
        await Expect(page.Locator("section.list")).ToBeVisibleAsync();
        await Expect(web.Rows).ToHaveCountAsync(30);
        await web.AssertCleanAsync();
    }

    [Fact]
    public async Task ALargeMailboxFillingItsCache_ShowsProgress_UntilComplete()
    {
        var user = MailEnvironment.NewUser("web-fill");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("INBOX", 3000);
        }

        // A slow server: every UID FETCH waits 400 ms in a proxy, so the background fill of 3,000 headers in batches
        // of 100 on one connection takes ~12 s (it stores them ~1000 at a time), while the page polls the mailbox's
        // cache status every 2 s.
        await using var proxy = FaultProxy.Start();
        proxy.Delay(FaultProxy.Command("UID FETCH"), TimeSpan.FromMilliseconds(400));
        await using var web = await Webmail.StartAsync(browser, s =>
        {
            s["Imap:Port"] = proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Cache:FillBatchSize"] = "100";
            s["Cache:FillConnections"] = "1";
        });
        var page = web.Page;
        await web.LoginAsync(user);
        await Expect(web.Rows).ToHaveCountAsync(50);

        var progress = page.Locator("section.list .progress[role=status]");
        await Expect(progress).ToBeVisibleAsync();
        await Expect(progress).ToContainTextAsync(new Regex(@"Caching headers… \d+ of 3000"));
        await Expect(progress.Locator("progress")).ToHaveAttributeAsync("max", "3000");
        await Webmail.ScreenshotAsync(page, "cache-progress");
        // The bar moves, then goes away when the cache is complete (the fill takes at least 30 x 400 ms; the page polls
        // every 2 s, so it shows several values).
        var seen = new SortedSet<int>();
        var until = DateTime.UtcNow.AddSeconds(90);
        while (await page.EvaluateAsync<int?>("() => document.querySelector('section.list .progress progress')?.value ?? null") is { } value)
        {
            seen.Add(value);
            Assert.True(DateTime.UtcNow < until, "The cache fill did not complete in 90 s.");
            await Task.Delay(200);
        }

        Assert.True(seen.Count >= 2, "The progress bar did not move: " + string.Join(", ", seen));
        await Expect(progress).ToHaveCountAsync(0);
        await Expect(web.Rows).ToHaveCountAsync(50);
        await web.AssertCleanAsync();
    }
}

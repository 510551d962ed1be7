using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>The SPA in Chromium: login, the mailbox tree, the message list and its paging.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WebmailListTests(BrowserFixture browser)
{
    [Fact]
    public async Task Login_ShowsTheTreeWithRolesAndUnreadCounts_AndTheListScrollsThroughEveryPage()
    {
        var user = MailEnvironment.NewUser("web-list");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendGeneratedAsync("INBOX", 120); // every third is \Seen: 80 unread, more than two pages of 50
            var projects = await imap.FolderAsync("Projects");
            var gateway = await projects.CreateAsync("Gateway", isMessageFolder: true);
            await gateway!.SubscribeAsync();
            await imap.AppendGeneratedAsync(gateway.FullName, 3, seed: 2);
        }

        await using var web = await Webmail.StartAsync(browser);
        var page = web.Page;
        await page.GotoAsync("/app/");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Webmail.ScreenshotAsync(page, "login");

        // A wrong password says so and stays on the login (Chromium logs the 401 to the console: expected).
        web.ExpectError(e => e.Contains("status of 401", StringComparison.Ordinal) && e.Contains("/api/v1/sessions", StringComparison.Ordinal));
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync("wrong-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();

        await web.LoginAsync(user);

        // The tree: roles labelled, INBOX first and selected, a child under its parent, unread counts.
        await Expect(web.Mailbox("INBOX")).ToHaveAttributeAsync("aria-current", "true");
        await Expect(web.Mailbox("INBOX").Locator(".role")).ToHaveTextAsync("inbox");
        await Expect(web.Mailbox("INBOX").Locator(".unread")).ToHaveTextAsync("80");
        foreach (var (name, role) in new[] { ("Drafts", "drafts"), ("Sent", "sent"), ("Archive", "archive"), ("Junk", "junk"), ("Trash", "trash") })
        {
            await Expect(web.Mailbox(name).Locator(".role")).ToHaveTextAsync(role);
        }

        await Expect(web.Mailbox("Gateway").Locator(".unread")).ToHaveTextAsync("2");
        var names = (await page.Locator("nav.mailboxes .name").AllTextContentsAsync()).ToList();
        Assert.Equal("INBOX", names[0]);
        Assert.Equal(names.IndexOf("Projects") + 1, names.IndexOf("Gateway"));

        // The list: newest first, one page of 50, then the rest as the end of the list scrolls into view.
        await Expect(web.Rows).ToHaveCountAsync(50);
        await Expect(web.Rows.First).ToContainTextAsync("#119");
        await Webmail.ScreenshotAsync(page, "list");
        await web.Rows.Last.ScrollIntoViewIfNeededAsync();
        await page.Locator("section.list li.more").ScrollIntoViewIfNeededAsync();
        await Expect(web.Rows).ToHaveCountAsync(100);
        await page.Locator("section.list li.more").ScrollIntoViewIfNeededAsync();
        await Expect(web.Rows).ToHaveCountAsync(120);
        await Expect(web.Rows.Last).ToContainTextAsync("#0");
        await Expect(page.Locator("section.list li.more button")).ToHaveCountAsync(0);

        // Another mailbox.
        await web.Mailbox("Gateway").ClickAsync();
        await Expect(web.Rows).ToHaveCountAsync(3);

        // Sign out: back to the login, the token gone from the page and revoked on the gateway.
        var token = await page.EvaluateAsync<string>("() => sessionStorage.getItem('gateway.token')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('gateway.token')"));
        using var client = web.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/accounts/me")).StatusCode);
        await web.AssertCleanAsync();
    }
}

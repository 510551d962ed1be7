using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using MailKit;
using MailKit.Search;
using Microsoft.Playwright;
using MimeKit;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>The SPA in Chromium: reading a message (inline images, attachments), acting on it (each action checked
/// against the IMAP server with a plain MailKit client), and hostile HTML.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WebmailMessageTests(BrowserFixture browser)
{
    /// <summary>A real message (corpus: Netscape Messenger, HTML with two cid: images, two more PNG attachments), or an
    /// equivalent built here where the corpus is not on the machine.</summary>
    private static MimeMessage InlineImageMessage()
    {
        var entry = Corpus.Entries.FirstOrDefault(e => e.File == "zbateson__m1005.eml");
        if (entry is not null)
        {
            return MimeMessage.Load(entry.FullPath);
        }

        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEklEQVR4nGP4z8AARAwMDAwMAD/VA/2Zb5hmAAAAAElFTkSuQmCC");
        var builder = new BodyBuilder { TextBody = "Die Hasen und die Frösche", HtmlBody = "<p>Blue ball: <img src=\"cid:ball@example.com\" alt=\"blue ball\" width=27 height=27></p>" };
        var inline = builder.LinkedResources.Add("ball.png", png, new ContentType("image", "png"));
        inline.ContentId = "ball@example.com";
        builder.Attachments.Add("redball.png", png, new ContentType("image", "png"));
        var message = new MimeMessage(
            [new MailboxAddress("Doug Sauder", "dwsauder@example.com")], [new MailboxAddress("Heinz Müller", "mueller@example.com")],
            "Die Hasen und die Frösche (Netscape Messenger 4.7)", builder.ToMessageBody());
        message.Date = new DateTimeOffset(2000, 5, 17, 23, 13, 9, TimeSpan.FromHours(-4));
        return message;
    }

    private static async Task<MessageFlags> FlagsAsync(TestImap imap, string path, uint uid)
    {
        var folder = await imap.ExamineAsync(path);
        var summaries = await folder.FetchAsync([new UniqueId(uid)], MessageSummaryItems.Flags);
        return summaries.Single().Flags ?? MessageFlags.None;
    }

    /// <summary>Polls the server's truth until <paramref name="condition"/> holds (the UI shows an action's result only
    /// after the gateway answered, so this normally holds at once).</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "Not on the IMAP server within 20 s: " + what);
            await Task.Delay(100);
        }
    }

    private static async Task<IList<UniqueId>> FindAsync(TestImap imap, string path, string subjectPart)
    {
        var folder = await imap.ExamineAsync(path);
        return await folder.SearchAsync(SearchQuery.SubjectContains(subjectPart));
    }

    [Fact]
    public async Task AMessageWithInlineImagesAndAttachments_IsShown_Downloads_AndFlagReadMoveDeleteReachTheServer()
    {
        var user = MailEnvironment.NewUser("web-msg");
        var original = InlineImageMessage();
        await using var imap = await TestImap.ConnectAsync(user);
        var uid = await imap.AppendAsync("INBOX", original);
        await imap.AppendGeneratedAsync("INBOX", 3);

        await using var web = await Webmail.StartAsync(browser);
        var page = web.Page;
        await web.LoginAsync(user);
        var row = web.Row("Hasen");
        await Expect(row).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("unseen"));
        await Expect(web.Mailbox("INBOX").Locator(".unread")).ToHaveTextAsync("3");
        await row.ClickAsync();

        // Headers, the sanitized HTML in the sandboxed frame, its cid: images loaded (inlined as data: URLs).
        await Expect(web.Reader.Locator("h2")).ToHaveTextAsync(original.Subject!);
        var frame = web.Reader.Locator("iframe.body");
        await Expect(frame).ToHaveAttributeAsync("sandbox", "allow-popups allow-popups-to-escape-sandbox");
        var image = page.FrameLocator("section.reader iframe.body").Locator("img").First;
        await Expect(image).ToBeVisibleAsync();
        await Expect(image).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        Assert.True(await image.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"), "The inline image did not render.");
        await Webmail.ScreenshotAsync(page, "message");

        // Opening marks it read (the API's read never does; the app does, with PATCH seen=true).
        await EventuallyAsync(async () => (await FlagsAsync(imap, "INBOX", uid)).HasFlag(MessageFlags.Seen), "\\Seen after opening");
        await Expect(row).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("unseen"));
        await Expect(web.Mailbox("INBOX").Locator(".unread")).ToHaveTextAsync("2");

        // An attachment downloads with the bytes the message holds.
        var attachment = original.BodyParts.OfType<MimePart>().First(a => a.FileName == "redball.png");
        using var expected = new MemoryStream();
        await attachment.Content!.DecodeToAsync(expected);
        var download = await page.RunAndWaitForDownloadAsync(() =>
            web.Reader.Locator(".attachments button", new() { HasText = "redball.png" }).ClickAsync());
        Assert.Equal("redball.png", download.SuggestedFilename);
        var path = await download.PathAsync();
        Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(path));

        // Flag, unread, read: each on the server.
        var toolbar = web.Reader.Locator(".toolbar");
        await toolbar.GetByRole(AriaRole.Button, new() { Name = "Flag", Exact = true }).ClickAsync();
        await Expect(toolbar.GetByRole(AriaRole.Button, new() { Name = "Unflag" })).ToBeVisibleAsync();
        await Expect(row.Locator(".flag")).ToBeVisibleAsync();
        await EventuallyAsync(async () => (await FlagsAsync(imap, "INBOX", uid)).HasFlag(MessageFlags.Flagged), "\\Flagged");

        await toolbar.GetByRole(AriaRole.Button, new() { Name = "Mark unread" }).ClickAsync();
        await Expect(toolbar.GetByRole(AriaRole.Button, new() { Name = "Mark read" })).ToBeVisibleAsync();
        await EventuallyAsync(async () => !(await FlagsAsync(imap, "INBOX", uid)).HasFlag(MessageFlags.Seen), "\\Seen removed");
        await toolbar.GetByRole(AriaRole.Button, new() { Name = "Mark read" }).ClickAsync();
        await EventuallyAsync(async () => (await FlagsAsync(imap, "INBOX", uid)).HasFlag(MessageFlags.Seen), "\\Seen again");

        // Move to Archive: gone from the list and from INBOX on the server, there in Archive, flags kept.
        await toolbar.GetByLabel("Move to").SelectOptionAsync(new SelectOptionValue { Label = "Archive" });
        await Expect(row).ToHaveCountAsync(0);
        await EventuallyAsync(async () => (await FindAsync(imap, "INBOX", "Hasen")).Count == 0, "gone from INBOX");
        var archived = await FindAsync(imap, "Archive", "Hasen");
        Assert.Single(archived);
        Assert.True((await FlagsAsync(imap, "Archive", archived[0].Id)).HasFlag(MessageFlags.Flagged | MessageFlags.Seen));
        await Expect(web.Rows).ToHaveCountAsync(3);

        // Delete it from Archive: it goes to the Trash.
        await web.Mailbox("Archive").ClickAsync();
        await web.Row("Hasen").ClickAsync();
        await Expect(web.Reader.Locator("h2")).ToHaveTextAsync(original.Subject!);
        await web.Reader.Locator(".toolbar").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(web.Row("Hasen")).ToHaveCountAsync(0);
        await EventuallyAsync(async () => (await FindAsync(imap, "Archive", "Hasen")).Count == 0, "gone from Archive");
        Assert.Single(await FindAsync(imap, "Trash", "Hasen"));
        await web.AssertCleanAsync();
    }

    [Fact]
    public async Task HostileHtml_RunsNoScript_AndLoadsNothingRemote()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var remote = $"http://127.0.0.1:{port}";
        var connections = 0;
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var socket = await listener.AcceptSocketAsync(stop.Token);
                    Interlocked.Increment(ref connections);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });

        var html = $$"""
            <html><head>
            <script>document.title = 'pwned'; window.parent.pwned = 1; fetch('{{remote}}/script');</script>
            <link rel="stylesheet" href="{{remote}}/style.css">
            <style>@import url({{remote}}/import.css); .x { background: url({{remote}}/css-bg.png); }</style>
            <meta http-equiv="refresh" content="0; url={{remote}}/refresh">
            </head>
            <body onload="fetch('{{remote}}/onload')">
            <p class="x" id="text">Hostile content here</p>
            <img src="{{remote}}/tracker.png" width="1" height="1" onerror="fetch('{{remote}}/onerror')">
            <img src="x" onerror="document.title='pwned'">
            <div style="background-image: url('{{remote}}/inline-bg.png')">styled</div>
            <a id="js" href="javascript:fetch('{{remote}}/js-link')">click me</a>
            <a id="ok" href="https://example.test/page">a normal link</a>
            <iframe src="{{remote}}/frame"></iframe>
            <object data="{{remote}}/object"></object>
            <svg><script>document.title='pwned'</script><image href="{{remote}}/svg.png"/></svg>
            <form action="{{remote}}/form"><input name="q" value="x"><button>send</button></form>
            </body></html>
            """;
        var message = new MimeMessage(
            [new MailboxAddress("Mallory", "mallory@example.test")], [new MailboxAddress("Test User", "user@example.test")],
            "Hostile HTML", new BodyBuilder { HtmlBody = html, TextBody = "plain part" }.ToMessageBody());

        var user = MailEnvironment.NewUser("web-xss");
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            await imap.AppendAsync("INBOX", message);
        }

        await using var web = await Webmail.StartAsync(browser);
        var page = web.Page;
        await web.LoginAsync(user);
        await web.Row("Hostile HTML").ClickAsync();

        var body = page.FrameLocator("section.reader iframe.body");
        await Expect(body.GetByText("Hostile content here")).ToBeVisibleAsync();
        await Expect(body.GetByText("a normal link")).ToBeVisibleAsync();

        // Nothing executable reached the frame.
        Assert.Equal(0, await body.Locator("script, iframe, object, embed, form, meta[http-equiv], link[rel=stylesheet]").CountAsync());
        // The frame's whole document is its srcdoc (read from the outside: evaluating script inside a frame without
        // allow-scripts is refused, and Chromium logs that as an error).
        var srcdoc = await page.Locator("section.reader iframe.body").GetAttributeAsync("srcdoc") ?? string.Empty;
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(srcdoc);
        var attributes = document.All.SelectMany(e => e.Attributes.Select(a => a.Name + "=" + a.Value)).ToList();
        Assert.DoesNotContain(attributes, a => a.StartsWith("on", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(attributes, a => a.Contains("javascript:", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(remote, srcdoc, StringComparison.Ordinal);
        Assert.Empty(document.QuerySelectorAll("script, iframe, object, embed, form, meta[http-equiv], link"));

        // Clicking the former javascript: link runs nothing either.
        await body.GetByText("click me").ClickAsync();

        // Give any load a moment to happen (there is none to wait for), then check: no script ran, nothing remote loaded.
        await page.WaitForTimeoutAsync(1000);
        Assert.Equal("Webmail", await page.TitleAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
        Assert.Equal(0, Volatile.Read(ref connections));
        Assert.All(web.Requests, url => Assert.True(
            url.StartsWith(web.BaseUrl + "/", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal) ||
            url.StartsWith("blob:", StringComparison.Ordinal) || url.StartsWith("about:", StringComparison.Ordinal),
            "A request left the gateway: " + url));
        Assert.Single(page.Context.Pages);

        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        await web.AssertCleanAsync();
    }
}

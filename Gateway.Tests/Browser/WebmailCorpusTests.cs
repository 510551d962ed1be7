using Gateway.Tests.Infrastructure;
using Gateway.Tests.Messages;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Browser;

/// <summary>Every real-world message of the corpus, opened one after another in the SPA with the keyboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WebmailCorpusTests(BrowserFixture browser)
{
    [Fact]
    public async Task EveryCorpusMessage_OpensWithoutAnError()
    {
        if (!Corpus.Available)
        {
            return; // the project's own users do not have the corpus (Corpus.cs)
        }

        var user = MailEnvironment.NewUser("web-corpus");
        await using (var appender = await RawAppender.ConnectAsync(user))
        {
            foreach (var entry in Corpus.Entries)
            {
                await appender.AppendAsync("INBOX", entry.Bytes());
            }
        }

        var count = Corpus.Entries.Count;
        await using var web = await Webmail.StartAsync(browser);
        var page = web.Page;
        await web.LoginAsync(user);
        await Expect(web.Rows.First).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Enter");
        var failed = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                await page.Keyboard.PressAsync("j"); // with a message open, j opens the next one (and pages on at the end)
            }

            await Expect(web.Rows.Nth(i)).ToHaveAttributeAsync("aria-selected", "true");
            var shown = web.Reader.Locator(".body, [role=alert]");
            await Expect(shown.First).ToBeAttachedAsync();
            if (await web.Reader.Locator("[role=alert]").CountAsync() > 0)
            {
                failed.Add(await web.Rows.Nth(i).InnerTextAsync() + ": " + await web.Reader.Locator("[role=alert]").InnerTextAsync());
            }
        }

        await Expect(web.Rows).ToHaveCountAsync(count);
        Assert.True(failed.Count == 0, "Messages that showed an error:\n" + string.Join("\n", failed));
        await web.AssertCleanAsync();
    }
}

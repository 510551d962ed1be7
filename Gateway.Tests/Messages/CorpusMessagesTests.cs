using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MailKit;
using MimeKit;

namespace Gateway.Tests.Messages;

/// <summary>The read path over the whole real-world corpus (228 messages), against the facts in its manifest.</summary>
public sealed partial class CorpusMessagesTests(CorpusFixture fixture) : IClassFixture<CorpusFixture>
{
    /// <summary>
    /// Messages whose attachment count or top-level type can never match the manifest (computed with Python's
    /// <c>email</c> package), and why. Each must still disagree: when one starts to agree, take it off the list.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnownManifestDisagreements = new Dictionary<string, string>
    {
        ["mimekit__feedback-report.eml"] =
            "starts with a UTF-8 BOM: Python then sees no header at all (text/plain); MimeKit skips the BOM and reads multipart/report",
        ["stalwart__malformed-019.eml"] =
            "garbled first header line ('Fro :...'): Python then sees no header (text/plain); MimeKit reads the header block (multipart/alternative)",
        ["mimekit__message-partial.0.eml"] =
            "a message/partial fragment: Python parses the incomplete fragment as a message and counts the image in it (1); "
            + "IMAP BODYSTRUCTURE and MimeKit keep a fragment opaque (0)",
        ["rubymail__raw_email_with_binary_encoded.eml"] =
            "Python finds no start boundary and leaves the multipart unsplit (0); MimeKit and Dovecot split it and find the named image/jpeg (1)",
        ["stalwart__malformed-021.eml"] =
            "an inline image/png with a Content-ID but no file name: our rule counts it as an attachment so cid: can point at it; Python's does not",
    };

    /// <summary>Messages whose BODYSTRUCTURE (Dovecot's parser) and MimeKit's tree disagree about attachments, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownStructureDisagreements = new Dictionary<string, string>
    {
        ["flanker__torture.eml"] =
            "part 12.2 has 'Content-Type: BINARY;name=\"Alices_PDP-10\"' (no subtype): Dovecot drops the parameters of the invalid "
            + "type so BODYSTRUCTURE has no file name; MimeKit keeps the name",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Get_EveryCorpusMessage_AgreesWithManifest()
    {
        if (!Corpus.Available)
        {
            return;
        }

        Assert.Equal(Corpus.Entries.Count, fixture.Messages.Count);
        var failures = new ConcurrentBag<string>();
        await ForEachAsync(fixture.Messages, async m =>
        {
            using var response = await fixture.Client.GetAsync(MessageUrl(m));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{m.Entry.File}: {(int)response.StatusCode} {body}");
                return;
            }

            var json = JsonDocument.Parse(body).RootElement;
            var attachments = json.GetProperty("attachments").GetArrayLength();
            var contentType = TopLevelContentType(json.GetProperty("headers"));
            var expectedType = MediaTypeToken(m.Entry.ContentType);
            var agrees = attachments == m.Entry.Attachments && contentType == expectedType
                && json.GetProperty("hasAttachments").GetBoolean() == attachments > 0
                && json.GetProperty("id").GetString() == m.Id;
            var known = KnownManifestDisagreements.ContainsKey(m.Entry.File);
            if (agrees == known)
            {
                failures.Add(known
                    ? $"{m.Entry.File}: now agrees with the manifest; take it off the known list"
                    : $"{m.Entry.File}: attachments {attachments} (manifest {m.Entry.Attachments}), type {contentType} (manifest {expectedType})");
            }
        });

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Order()));
        Assert.True(KnownManifestDisagreements.Count <= 5);
    }

    [Fact]
    public async Task Raw_EveryCorpusMessage_EqualsTheServersBytes()
    {
        if (!Corpus.Available)
        {
            return;
        }

        await using var imap = await TestImap.ConnectAsync(fixture.User);
        var failures = new List<string>();
        foreach (var m in fixture.Messages)
        {
            var expected = await imap.RawAsync("INBOX", m.Uid);
            using var response = await fixture.Client.GetAsync(MessageUrl(m) + "/raw");
            var actual = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "message/rfc822"
                || !expected.AsSpan().SequenceEqual(actual))
            {
                failures.Add($"{m.Entry.File}: {(int)response.StatusCode} {response.Content.Headers.ContentType}, {actual.Length} bytes, server holds {expected.Length}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Html_EveryCorpusMessage_HasNoActiveContentAndNoRemoteLoads()
    {
        if (!Corpus.Available)
        {
            return;
        }

        var failures = new ConcurrentBag<string>();
        var withHtml = 0;
        await ForEachAsync(fixture.Messages, async m =>
        {
            var json = await fixture.Client.GetFromJsonElementAsync(MessageUrl(m));
            if (json.GetProperty("html").GetString() is not { } html)
            {
                return;
            }

            Interlocked.Increment(ref withHtml);
            foreach (var problem in HtmlSafety.Problems(html, allowRemote: false))
            {
                failures.Add($"{m.Entry.File}: {problem}");
            }
        });

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Order()));
        Assert.True(withHtml >= 40, $"only {withHtml} corpus messages had HTML");
    }

    [Fact]
    public async Task Attachments_EveryCorpusAttachment_DownloadsItsDecodedBytes()
    {
        if (!Corpus.Available)
        {
            return;
        }

        await using var imap = await TestImap.ConnectAsync(fixture.User);
        var raw = new Dictionary<uint, byte[]>();
        foreach (var m in fixture.Messages)
        {
            raw[m.Uid] = await imap.RawAsync("INBOX", m.Uid);
        }

        var failures = new ConcurrentBag<string>();
        var downloaded = 0;
        await ForEachAsync(fixture.Messages, async m =>
        {
            var json = await fixture.Client.GetFromJsonElementAsync(MessageUrl(m));
            var attachments = json.GetProperty("attachments").EnumerateArray().ToList();
            if (attachments.Count == 0)
            {
                return;
            }

            using var stream = new MemoryStream(raw[m.Uid]);
            using var parsed = await MessageParser.LoadAsync(stream, CancellationToken.None);
            var leaves = MessageParts.Leaves(parsed).ToDictionary(l => AttachmentIds.For(l.Specifier), l => l.Part);
            foreach (var a in attachments)
            {
                var id = a.GetProperty("id").GetString()!;
                using var response = await fixture.Client.GetAsync($"{MessageUrl(m)}/attachments/{id}");
                var bytes = await response.Content.ReadAsByteArrayAsync();
                var expected = leaves.TryGetValue(id, out var part) && part is MimePart mimePart
                    ? mimePart.Content is { } content ? Decode(content) : []
                    : null;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{m.Entry.File} {id}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(bytes)}");
                }
                else if (expected is null || !expected.AsSpan().SequenceEqual(bytes))
                {
                    failures.Add($"{m.Entry.File} {id}: {bytes.Length} bytes, MimeKit decodes {expected?.Length.ToString() ?? "nothing"}");
                }
                else if (a.GetProperty("size").GetInt64() != bytes.Length
                    || response.Content.Headers.ContentType?.MediaType != a.GetProperty("contentType").GetString()
                    || response.Content.Headers.ContentDisposition?.DispositionType != "attachment")
                {
                    failures.Add($"{m.Entry.File} {id}: size {a.GetProperty("size")} vs {bytes.Length}, type {response.Content.Headers.ContentType} vs {a.GetProperty("contentType")}");
                }
                else
                {
                    Interlocked.Increment(ref downloaded);
                }
            }
        });

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Order()));
        Assert.True(downloaded >= 90, $"only {downloaded} attachments were downloaded");
    }

    [Fact]
    public async Task AttachmentRules_BodyStructureAndMimeTree_AgreeOnEveryCorpusMessage()
    {
        if (!Corpus.Available)
        {
            return;
        }

        await using var imap = await TestImap.ConnectAsync(fixture.User);
        var inbox = await imap.ExamineAsync("INBOX");
        var summaries = (await inbox.FetchAsync(fixture.Messages.Select(m => new UniqueId(m.Uid)).ToList(), MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure))
            .ToDictionary(s => s.UniqueId.Id);
        var failures = new List<string>();
        foreach (var m in fixture.Messages)
        {
            using var stream = new MemoryStream(await imap.RawAsync("INBOX", m.Uid));
            using var parsed = await MessageParser.LoadAsync(stream, CancellationToken.None);
            var fromStructure = MessageParts.Leaves(summaries[m.Uid].Body).Where(l => AttachmentRules.IsAttachment(l.Part)).Select(l => l.Specifier);
            var fromTree = MessageParts.Leaves(parsed).Where(l => AttachmentRules.IsAttachment(l.Part)).Select(l => l.Specifier);
            var agrees = fromStructure.SequenceEqual(fromTree)
                && AttachmentRules.HasAttachments(summaries[m.Uid].Body) == AttachmentRules.HasAttachments(parsed);
            if (agrees == KnownStructureDisagreements.ContainsKey(m.Entry.File))
            {
                failures.Add($"{m.Entry.File}: BODYSTRUCTURE [{string.Join(' ', fromStructure)}], MIME tree [{string.Join(' ', fromTree)}]");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private string MessageUrl(CorpusMessage m) => $"/api/v1/accounts/{fixture.AccountId}/messages/{m.Id}";

    private static Task ForEachAsync(IEnumerable<CorpusMessage> messages, Func<CorpusMessage, Task> body) =>
        Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (m, _) => await body(m));

    private static byte[] Decode(IMimeContent content)
    {
        using var decoded = new MemoryStream();
        content.DecodeTo(decoded);
        return decoded.ToArray();
    }

    /// <summary>The message's media type from its first Content-Type header, read as MimeKit reads it inside a message
    /// (leniently: a broken parameter does not lose the type); text/plain when there is none.</summary>
    private static string TopLevelContentType(JsonElement headers)
    {
        foreach (var header in headers.EnumerateArray())
        {
            if (string.Equals(header.GetProperty("name").GetString(), "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"Content-Type: {header.GetProperty("value").GetString()}\r\n\r\n"));
                using var entity = MimeEntity.Load(stream);
                return entity.ContentType.MimeType.ToLowerInvariant();
            }
        }

        return "text/plain";
    }

    /// <summary>The type/subtype token of the manifest's content type. Python's <c>get_content_type()</c> keeps everything
    /// up to a ';', so for 'multipart/mixed&lt;TAB&gt;boundary=...' (a tab where ';' belongs) the manifest holds the
    /// parameters too (with the tab written as \t).</summary>
    private static string MediaTypeToken(string manifestValue) => TypeToken().Match(manifestValue).Value;

    [GeneratedRegex(@"^[^;\s\\]+")]
    private static partial Regex TypeToken();
}

/// <summary>Checks sanitized HTML the way a browser would read it.</summary>
public static class HtmlSafety
{
    private static readonly string[] LoadAttributes = ["src", "srcset", "background", "poster", "lowsrc", "dynsrc", "data", "action", "formaction"];

    /// <summary>Everything in <paramref name="html"/> that could run script or (unless <paramref name="allowRemote"/>)
    /// load from the network.</summary>
    public static IReadOnlyList<string> Problems(string html, bool allowRemote)
    {
        var problems = new List<string>();
        if (html.Contains("<script", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add("contains '<script'");
        }

        var document = new HtmlParser().ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        foreach (var element in document.All)
        {
            if (element.LocalName is "script" or "iframe" or "object" or "embed" or "form" or "input" or "button" or "style" or "link" or "meta" or "base" or "svg")
            {
                problems.Add($"has a <{element.LocalName}> element");
            }

            foreach (var attribute in element.Attributes)
            {
                var value = new string(attribute.Value.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
                if (attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"<{element.LocalName}> has event handler {attribute.Name}");
                }

                if (value.Contains("javascript:", StringComparison.OrdinalIgnoreCase) || value.Contains("vbscript:", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"<{element.LocalName} {attribute.Name}> holds a script URL");
                }

                if (!allowRemote && (LoadAttributes.Contains(attribute.Name, StringComparer.OrdinalIgnoreCase) || attribute.Name == "style")
                    && (value.Contains("http:", StringComparison.OrdinalIgnoreCase) || value.Contains("https:", StringComparison.OrdinalIgnoreCase)
                        || value.Contains("url(\"//", StringComparison.Ordinal) || value.Contains("url(//", StringComparison.Ordinal)))
                {
                    problems.Add($"<{element.LocalName} {attribute.Name}=\"{attribute.Value}\"> loads from the network");
                }
            }
        }

        return problems;
    }
}

internal static class HttpClientJsonExtensions
{
    public static async Task<JsonElement> GetFromJsonElementAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

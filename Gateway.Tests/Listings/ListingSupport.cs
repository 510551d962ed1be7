using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Core.Imap;
using Gateway.Tests.Infrastructure;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Listings;

/// <summary>An address as the truth reader sees it.</summary>
internal sealed record TruthAddress(string? Name, string Address);

/// <summary>What the IMAP server itself says about one message, read by a plain MailKit client outside the gateway.</summary>
internal sealed record TruthMessage(
    uint Uid,
    string? MessageId,
    string? InReplyTo,
    string? Subject,
    IReadOnlyList<TruthAddress> From,
    IReadOnlyList<TruthAddress> To,
    IReadOnlyList<TruthAddress> Cc,
    IReadOnlyList<TruthAddress> ReplyTo,
    DateTimeOffset? Date,
    DateTimeOffset ReceivedAt,
    long Size,
    bool Seen,
    bool Flagged,
    bool Answered,
    bool Draft,
    IReadOnlyList<string> Keywords,
    bool HasAttachments,
    string? Preview,
    IReadOnlySet<string> Duplicated)
{
    /// <summary>What <c>sort=date</c> orders by: the Date header, else INTERNALDATE, to the second.</summary>
    public long SortSeconds => (Date ?? ReceivedAt).ToUnixTimeSeconds();
}

/// <summary>Reads a mailbox's truth (ENVELOPE, FLAGS, INTERNALDATE, RFC822.SIZE, BODYSTRUCTURE, PREVIEW) with TestImap
/// and derives the expected listing orders from it, without the gateway's code.</summary>
internal static class ImapTruth
{
    private const MessageSummaryItems BaseItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.BodyStructure | MessageSummaryItems.PreviewText;

    /// <summary>The truth of every message in <paramref name="path"/>, in UID order, read on connections of its own.
    /// Headers come from the server's ENVELOPE; a message whose ENVELOPE MailKit refuses to read (a header field over
    /// 4 KB makes MailKit drop the connection) falls back to parsing its header block with MimeKit.</summary>
    public static async Task<List<TruthMessage>> ReadAsync(string user, string path, bool findDuplicatedHeaders = true)
    {
        var imap = await ConnectAsync(user);
        try
        {
            var folder = await imap.ExamineAsync(path);
            var count = folder.Count;
            if (count == 0)
            {
                return [];
            }

            // Reply-To is fetched as a header too: ENVELOPE copies From into reply-to when the header is absent.
            var basics = await folder.FetchAsync(0, -1, new FetchRequest(BaseItems) { Headers = new HeaderSet([HeaderId.ReplyTo]) });
            var duplicated = new Dictionary<uint, IReadOnlySet<string>>();
            foreach (var b in findDuplicatedHeaders ? basics : [])
            {
                using var header = await folder.GetStreamAsync(b.UniqueId, "HEADER");
                using var copy = new MemoryStream();
                await header.CopyToAsync(copy);
                duplicated[b.UniqueId.Id] = DuplicatedFields(copy.ToArray());
            }

            var envelopes = new Dictionary<uint, Envelope>();
            var fallback = new List<UniqueId>();
            var uids = basics.Select(b => b.UniqueId).ToList();
            foreach (var chunk in uids.Chunk(50))
            {
                try
                {
                    foreach (var m in await folder.FetchAsync(chunk, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope))
                    {
                        envelopes[m.UniqueId.Id] = m.Envelope!;
                    }
                }
                catch (ImapProtocolException)
                {
                    // One by one on fresh connections, to find the message(s) MailKit cannot read.
                    foreach (var uid in chunk)
                    {
                        await imap.DisposeAsync();
                        imap = await ConnectAsync(user);
                        folder = await imap.ExamineAsync(path);
                        try
                        {
                            envelopes[uid.Id] = (await folder.FetchAsync([uid], MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope)).Single().Envelope!;
                        }
                        catch (ImapProtocolException)
                        {
                            fallback.Add(uid);
                        }
                    }

                    await imap.DisposeAsync();
                    imap = await ConnectAsync(user);
                    folder = await imap.ExamineAsync(path);
                }
            }

            foreach (var uid in fallback)
            {
                using var stream = await folder.GetStreamAsync(uid, "HEADER");
                var headers = await MimeMessage.LoadAsync(stream);
                var e = new Envelope { Subject = headers.Subject, Date = headers.Headers.Contains(HeaderId.Date) ? headers.Date : null, MessageId = headers.MessageId, InReplyTo = headers.InReplyTo };
                e.From.AddRange(headers.From);
                e.To.AddRange(headers.To);
                e.Cc.AddRange(headers.Cc);
                e.ReplyTo.AddRange(headers.ReplyTo);
                envelopes[uid.Id] = e;
            }

            var result = basics.Select(b => ToTruth(b, envelopes[b.UniqueId.Id], duplicated.GetValueOrDefault(b.UniqueId.Id) ?? new HashSet<string>())).OrderBy(m => m.Uid).ToList();
            Assert.Equal(count, result.Count);
            return result;
        }
        finally
        {
            await imap.DisposeAsync();
        }
    }

    /// <summary>A TestImap with UTF8=ACCEPT enabled, so that raw UTF-8 in headers (RFC 6532) reads as UTF-8.</summary>
    private static async Task<TestImap> ConnectAsync(string user)
    {
        var imap = await TestImap.ConnectAsync(user);
        if (imap.Client.Capabilities.HasFlag(ImapCapabilities.UTF8Accept))
        {
            await imap.Client.EnableUTF8Async();
        }

        return imap;
    }

    /// <summary>The server's own <c>UID SORT (REVERSE DATE)</c> of the whole mailbox.</summary>
    public static async Task<List<uint>> ServerDateOrderAsync(string user, string path)
    {
        await using var imap = await ConnectAsync(user);
        var folder = await imap.ExamineAsync(path);
        return (await folder.SortAsync(MailKit.Search.SearchQuery.All, [MailKit.Search.OrderBy.ReverseDate])).Select(u => u.Id).ToList();
    }

    /// <summary>The messages whose place in date order is not agreed on: those outside the longest common subsequence
    /// of two orders (e.g. the order computed from ENVELOPE dates and the server's SORT, which disagree on Date headers
    /// that parsers read differently: duplicated, out of range, malformed).</summary>
    public static HashSet<uint> Disputed(IReadOnlyList<uint> a, IReadOnlyList<uint> b)
    {
        var n = a.Count;
        var m = b.Count;
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
        {
            for (var j = m - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var common = new HashSet<uint>();
        for (int i = 0, j = 0; i < n && j < m;)
        {
            if (a[i] == b[j])
            {
                common.Add(a[i]);
                i++;
                j++;
            }
            else if (lcs[i + 1, j] >= lcs[i, j + 1])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return a.Concat(b).Where(u => !common.Contains(u)).ToHashSet();
    }

    /// <summary>UIDs newest arrival first.</summary>
    public static List<uint> ArrivalOrder(IEnumerable<TruthMessage> messages) =>
        messages.OrderByDescending(m => m.Uid).Select(m => m.Uid).ToList();

    /// <summary>UIDs by sort date newest first, equal dates in mailbox (UID) order.</summary>
    public static List<uint> DateOrder(IEnumerable<TruthMessage> messages) =>
        messages.OrderByDescending(m => m.SortSeconds).ThenBy(m => m.Uid).Select(m => m.Uid).ToList();

    /// <summary>The fields a listing shows that occur more than once in a raw header block (malformed mail: which
    /// occurrence counts is the reader's choice, so tests do not pin it).</summary>
    private static HashSet<string> DuplicatedFields(byte[] header)
    {
        var text = System.Text.Encoding.Latin1.GetString(header);
        var names = System.Text.RegularExpressions.Regex.Matches(text, @"(?m)^([!-9;-~]+)[ \t]*:")
            .Select(m => m.Groups[1].Value.ToLowerInvariant())
            .Where(n => n is "date" or "subject" or "from" or "to" or "cc" or "reply-to" or "message-id" or "in-reply-to");
        return names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
    }

    private static TruthMessage ToTruth(IMessageSummary m, Envelope e, IReadOnlySet<string> duplicated)
    {
        var hasReplyTo = m.Headers?[HeaderId.ReplyTo] is { } replyTo && !string.IsNullOrWhiteSpace(replyTo);
        var flags = m.Flags ?? MessageFlags.None;
        return new TruthMessage(
            m.UniqueId.Id,
            Unbracket(e.MessageId),
            Unbracket(e.InReplyTo),
            e.Subject,
            Addresses(e.From),
            Addresses(e.To),
            Addresses(e.Cc),
            hasReplyTo ? Addresses(e.ReplyTo) : [],
            e.Date,
            m.InternalDate ?? throw new InvalidOperationException("No INTERNALDATE."),
            (long)(m.Size ?? throw new InvalidOperationException("No RFC822.SIZE.")),
            flags.HasFlag(MessageFlags.Seen),
            flags.HasFlag(MessageFlags.Flagged),
            flags.HasFlag(MessageFlags.Answered),
            flags.HasFlag(MessageFlags.Draft),
            (m.Keywords ?? new HashSet<string>()).ToList(),
            CountAttachments(m.Body, root: true) > 0,
            m.PreviewText,
            duplicated);
    }

    private static string? Unbracket(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        var s = id.Trim();
        return s.StartsWith('<') && s.EndsWith('>') ? s[1..^1] : s;
    }

    /// <summary>The envelope's addresses, groups flattened. Dovecot stands in <c>MISSING_MAILBOX</c>/<c>MISSING_DOMAIN</c>
    /// for an address it could not parse; such a header has no address to show, so the expectation leaves it out.</summary>
    private static List<TruthAddress> Addresses(MimeKit.InternetAddressList list)
    {
        var all = list.Mailboxes.Select(a => new TruthAddress(string.IsNullOrEmpty(a.Name) ? null : a.Name, a.Address ?? string.Empty)).ToList();
        return all.Any(a => a.Address.Contains("MISSING_", StringComparison.Ordinal)) ? [] : all;
    }

    /// <summary>The documented rule (README), applied to the server's BODYSTRUCTURE: every leaf part, the root and the
    /// parts inside attached messages included, is an attachment when its Content-Disposition says so, when it has a
    /// file name, or when it is not text and has a Content-ID (inline images); message/* parts never are.</summary>
    private static int CountAttachments(BodyPart? part, bool root)
    {
        _ = root;
        switch (part)
        {
            case null:
                return 0;
            case BodyPartMultipart multipart:
                return multipart.BodyParts.Sum(p => CountAttachments(p, root: false));
            case BodyPartMessage message:
                return CountAttachments(message.Body, root: false);
            case BodyPartBasic basic when string.Equals(basic.ContentType.MediaType, "message", StringComparison.OrdinalIgnoreCase):
                return 0;
            case BodyPartBasic basic:
                var disposition = basic.ContentDisposition?.Disposition?.Trim();
                if (string.Equals(disposition, "attachment", StringComparison.OrdinalIgnoreCase))
                {
                    return 1;
                }

                var named = !string.IsNullOrWhiteSpace(basic.ContentDisposition?.FileName) || !string.IsNullOrWhiteSpace(basic.ContentType.Name);
                var inlineObject = !string.IsNullOrWhiteSpace(basic.ContentId) && !string.Equals(basic.ContentType.MediaType, "text", StringComparison.OrdinalIgnoreCase);
                return named || inlineObject ? 1 : 0;
            default:
                return 0;
        }
    }
}

/// <summary>One listing page as the client sees it.</summary>
internal sealed record ListingPage(
    HttpStatusCode Status,
    List<JsonElement> Items,
    string? NextPageToken,
    string? State,
    string? ETag,
    string? Link,
    JsonElement Body);

/// <summary>HTTP helpers for the listing endpoint.</summary>
internal static class Listing
{
    public static string Url(string mailboxId, string? query = null, string? pageToken = null)
    {
        var url = $"/api/v1/accounts/me/mailboxes/{mailboxId}/messages";
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(query))
        {
            parts.Add(query);
        }

        if (pageToken is not null)
        {
            parts.Add("pageToken=" + Uri.EscapeDataString(pageToken));
        }

        return parts.Count == 0 ? url : url + "?" + string.Join('&', parts);
    }

    /// <summary>Gets one page; asserts 200 and the page's shape (token and Link agree).</summary>
    public static async Task<ListingPage> PageAsync(HttpClient client, string mailboxId, string? query = null, string? pageToken = null)
    {
        var response = await client.GetAsync(Url(mailboxId, query, pageToken));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {Url(mailboxId, query, pageToken)}: {(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement.Clone();
        var items = body.GetProperty("items").EnumerateArray().ToList();
        var next = body.TryGetProperty("nextPageToken", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        var link = response.Headers.TryGetValues("Link", out var links) ? string.Join(", ", links) : null;
        if (next is not null)
        {
            Assert.Matches("^[A-Za-z0-9_-]{1,64}$", next);
            Assert.NotNull(link);
            Assert.Contains("rel=\"next\"", link, StringComparison.Ordinal);
            Assert.Contains("pageToken=" + next, link, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(link);
        }

        return new ListingPage(
            response.StatusCode,
            items,
            next,
            body.GetProperty("state").GetString(),
            response.Headers.ETag?.ToString(),
            link,
            body);
    }

    /// <summary>Follows <c>nextPageToken</c> to the end; <paramref name="between"/> runs after each page but the last,
    /// with the page's number and items.</summary>
    public static async Task<List<JsonElement>> AllAsync(
        HttpClient client, string mailboxId, string? query = null, Func<int, List<JsonElement>, Task>? between = null, int maxPages = 10_000)
    {
        var all = new List<JsonElement>();
        string? token = null;
        for (var page = 0; page < maxPages; page++)
        {
            var p = await PageAsync(client, mailboxId, query, token);
            all.AddRange(p.Items);
            if (p.NextPageToken is null)
            {
                return all;
            }

            token = p.NextPageToken;
            if (between is not null)
            {
                await between(page, p.Items);
            }
        }

        throw new InvalidOperationException($"More than {maxPages} pages.");
    }

    public static List<uint> Uids(IEnumerable<JsonElement> items) => items.Select(i => i.GetProperty("uid").GetUInt32()).ToList();

    /// <summary>The id of the mailbox at <paramref name="path"/>, by the mailbox list.</summary>
    public static async Task<string> MailboxIdAsync(HttpClient client, string path)
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/accounts/me/mailboxes");
        return list.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("path").GetString() == path).GetProperty("id").GetString()!;
    }

    /// <summary>Splits a message id into the mailbox id, UIDVALIDITY and UID it names (the documented layout, decoded
    /// here independently of the gateway).</summary>
    public static (string MailboxId, uint UidValidity, uint Uid) ParseMessageId(string id)
    {
        var raw = Base64Url.DecodeFromChars(id);
        Assert.Equal(24, raw.Length);
        return (Base64Url.EncodeToString(raw.AsSpan(0, 16)), BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(20)));
    }
}

/// <summary>Counts the IMAP commands the gateway sent for one user.</summary>
internal sealed class CommandCounter(GatewayApplication app, string user)
{
    private ImapAccountStats _mark = Stats(app, user);

    public static ImapAccountStats Stats(GatewayApplication app, string user) =>
        app.Services.GetRequiredService<IImapSessionPool>().GetStats(
            new ImapAccountKey(MailEnvironment.ImapHost, MailEnvironment.ImapPort, ImapSecurity.None, user, ImapAuthMethod.Password));

    /// <summary>Starts counting from now.</summary>
    public void Reset() => _mark = Stats(app, user);

    /// <summary>Commands by name sent since the last <see cref="Reset"/>, plus the bytes read.</summary>
    public (Dictionary<string, long> Commands, long BytesRead) Delta()
    {
        var now = Stats(app, user);
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, count) in now.CommandsByName)
        {
            var d = count - (_mark.CommandsByName.TryGetValue(name, out var before) ? before : 0);
            if (d != 0)
            {
                delta[name] = d;
            }
        }

        return (delta, now.BytesRead - _mark.BytesRead);
    }

    /// <summary>True when nothing but the freshness check was sent: STATUS, and the NOOP that precedes it on a
    /// connection that has the mailbox selected.</summary>
    /// <summary>Only freshness checks on a connection with the mailbox selected: NOOP, and STATUS after a NOOP that
    /// reported a change (or on a connection whose values were not yet read).</summary>
    public static bool OnlyFreshnessChecks(Dictionary<string, long> commands) =>
        commands.Keys.All(k => k is "STATUS" or "NOOP") && commands.GetValueOrDefault("STATUS") <= commands.GetValueOrDefault("NOOP");

    public static string Describe(Dictionary<string, long> commands) =>
        commands.Count == 0 ? "(none)" : string.Join(", ", commands.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
}

/// <summary>Compares listing items with the server's truth, collecting every difference before failing.</summary>
internal static class ListingAssert
{
    /// <summary>Asserts that <paramref name="items"/> are exactly <paramref name="expectedOrder"/> (UIDs) and that every
    /// field of every item matches <paramref name="truth"/>.</summary>
    public static void Matches(
        IReadOnlyList<TruthMessage> truth, IReadOnlyList<uint> expectedOrder, IReadOnlyList<JsonElement> items, string mailboxId, uint uidValidity, string what,
        IReadOnlySet<uint>? disputed = null)
    {
        var actualOrder = Listing.Uids(items);
        Assert.Equal(expectedOrder.Order(), actualOrder.Order()); // every message exactly once
        if (disputed is { Count: > 0 })
        {
            // Only the order of the messages whose place everyone agrees on is pinned.
            expectedOrder = expectedOrder.Where(u => !disputed.Contains(u)).ToList();
            actualOrder = actualOrder.Where(u => !disputed.Contains(u)).ToList();
        }

        if (!actualOrder.SequenceEqual(expectedOrder))
        {
            var firstDiff = Enumerable.Range(0, Math.Min(actualOrder.Count, expectedOrder.Count)).FirstOrDefault(i => actualOrder[i] != expectedOrder[i], -1);
            Assert.Fail($"{what}: order differs: expected {expectedOrder.Count} items, got {actualOrder.Count}; first difference at index {firstDiff}: "
                + $"expected [{string.Join(",", expectedOrder.Skip(Math.Max(0, firstDiff - 2)).Take(6))}] got [{string.Join(",", actualOrder.Skip(Math.Max(0, firstDiff - 2)).Take(6))}]");
        }

        var byUid = truth.ToDictionary(t => t.Uid);
        var problems = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var uid = item.GetProperty("uid").GetUInt32();
            var t = byUid[uid];
            var diffs = Differences(t, item, mailboxId, uidValidity);
            if (!ids.Add(item.GetProperty("id").GetString()!))
            {
                diffs.Add("id is not unique");
            }

            problems.AddRange(diffs.Select(d => $"uid {uid}: {d}"));
        }

        Assert.True(problems.Count == 0, $"{what}: {problems.Count} field differences:\n" + string.Join("\n", problems.Take(60)));
    }

    /// <summary>Asserts that two listings of the same messages (e.g. one from IMAP, one from the cache) show every
    /// message identically, byte for byte in JSON.</summary>
    public static void SameItems(IReadOnlyList<JsonElement> expected, IReadOnlyList<JsonElement> actual, string what)
    {
        var a = expected.ToDictionary(i => i.GetProperty("uid").GetUInt32(), i => i.GetRawText());
        var b = actual.ToDictionary(i => i.GetProperty("uid").GetUInt32(), i => i.GetRawText());
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        var different = a.Keys.Where(k => a[k] != b[k]).Take(5).Select(k => $"uid {k}:\n  {a[k]}\n  {b[k]}").ToList();
        Assert.True(different.Count == 0, $"{what}: items differ:\n" + string.Join("\n", different));
    }

    public static List<string> Differences(TruthMessage t, JsonElement item, string mailboxId, uint uidValidity)
    {
        var d = new List<string>();
        void Check<T>(string field, T expected, T actual)
        {
            var header = field switch { "messageId" => "message-id", "inReplyTo" => "in-reply-to", "replyTo" => "reply-to", _ => field };
            if (t.Duplicated.Contains(header))
            {
                return;
            }

            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                d.Add($"{field}: expected «{expected}», got «{actual}»");
            }
        }

        var id = item.GetProperty("id").GetString()!;
        if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9_-]{1,64}$"))
        {
            d.Add($"id «{id}» is not URL-safe");
        }
        else
        {
            Check("id", (mailboxId, uidValidity, t.Uid), Listing.ParseMessageId(id));
        }

        Check("mailboxId", mailboxId, item.GetProperty("mailboxId").GetString());
        Check("messageId", t.MessageId, Str(item, "messageId"));
        Check("inReplyTo", t.InReplyTo, Str(item, "inReplyTo"));
        Check("subject", Text(t.Subject, Str(item, "subject")), Str(item, "subject"));
        Check("from", Show(t.From, Addresses(item, "from")), Show(Addresses(item, "from")));
        Check("to", Show(t.To, Addresses(item, "to")), Show(Addresses(item, "to")));
        Check("cc", Show(t.Cc, Addresses(item, "cc")), Show(Addresses(item, "cc")));
        Check("replyTo", Show(t.ReplyTo, Addresses(item, "replyTo")), Show(Addresses(item, "replyTo")));
        Check("date", t.Date?.ToUnixTimeSeconds(), Date(item, "date")?.ToUnixTimeSeconds());
        Check("receivedAt", (long?)t.ReceivedAt.ToUnixTimeSeconds(), Date(item, "receivedAt")?.ToUnixTimeSeconds());
        Check("size", t.Size, item.GetProperty("size").GetInt64());
        Check("seen", t.Seen, item.GetProperty("seen").GetBoolean());
        Check("flagged", t.Flagged, item.GetProperty("flagged").GetBoolean());
        Check("answered", t.Answered, item.GetProperty("answered").GetBoolean());
        Check("draft", t.Draft, item.GetProperty("draft").GetBoolean());
        Check("keywords", string.Join(" ", t.Keywords.Order(StringComparer.Ordinal)),
            string.Join(" ", item.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()).Order(StringComparer.Ordinal)));
        Check("hasAttachments", t.HasAttachments, item.GetProperty("hasAttachments").GetBoolean());

        var preview = Str(item, "preview");
        if (string.IsNullOrEmpty(t.Preview))
        {
            Check("preview", null, preview);
        }
        else if (preview is null || preview.Length > 100 || !t.Preview.StartsWith(preview, StringComparison.Ordinal)
            || preview.Length < Math.Min(100, t.Preview.Length) - 1)
        {
            d.Add($"preview: expected the first ≤100 characters of «{t.Preview}», got «{preview}»");
        }

        return d;
    }

    /// <summary>The expected text, made comparable with <paramref name="actual"/> where only the truth reader's own
    /// limits differ: whitespace runs (folding, encoded-word boundaries, a trailing blank) count as one space, and
    /// mojibake from raw 8-bit bytes inside encoded words (Dovecot sends them as UTF-8, MailKit then decodes the
    /// word's bytes as its declared Latin-1) is repaired when that yields <paramref name="actual"/> exactly.</summary>
    private static string? Text(string? expected, string? actual)
    {
        if (expected is null || actual is null)
        {
            return expected;
        }

        static string Squash(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"\s+", " ").Trim();
        if (Squash(expected) == Squash(actual))
        {
            return actual;
        }

        try
        {
            var repaired = new System.Text.UTF8Encoding(false, true).GetString(System.Text.Encoding.Latin1.GetBytes(expected));
            if (Squash(repaired) == Squash(actual))
            {
                return actual;
            }
        }
        catch (System.Text.DecoderFallbackException)
        {
        }

        return expected;
    }

    private static string? Str(JsonElement item, string name) =>
        item.GetProperty(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private static DateTimeOffset? Date(JsonElement item, string name)
    {
        var v = item.GetProperty(name);
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = v.GetString()!;
        // RFC 3339 in UTC.
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$", text);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Show(IReadOnlyList<TruthAddress> expected, List<TruthAddress> actual) =>
        expected.Count == actual.Count
            ? Show(expected.Zip(actual, (e, a) => e with { Name = Text(e.Name, a.Name) }).ToList())
            : Show(expected);

    private static List<TruthAddress> Addresses(JsonElement item, string name) =>
        item.GetProperty(name).EnumerateArray()
            .Select(a => new TruthAddress(a.GetProperty("name") is { ValueKind: JsonValueKind.String } n ? n.GetString() : null, a.GetProperty("address").GetString()!))
            .ToList();

    private static string Show(IReadOnlyList<TruthAddress> list) => string.Join("; ", list.Select(a => $"{a.Name} <{a.Address}>"));
}

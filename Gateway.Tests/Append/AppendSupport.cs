using System.Net.Http.Headers;
using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;
using MailKit;
using MailKit.Search;

namespace Gateway.Tests.Append;

/// <summary>HTTP and truth helpers for the APPEND endpoint.</summary>
internal static class AppendSupport
{
    public static string Url(string mailboxId, string? query = null) =>
        $"/api/v1/accounts/me/mailboxes/{mailboxId}/messages" + (string.IsNullOrEmpty(query) ? string.Empty : "?" + query);

    /// <summary>POSTs <paramref name="body"/> as a message.</summary>
    public static async Task<HttpResponseMessage> PostAsync(
        HttpClient client, string mailboxId, byte[] body, string? query = null, string? key = null, string? contentType = "message/rfc822")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(mailboxId, query)) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        return await client.SendAsync(request);
    }

    /// <summary>Corpus messages with CRLF line ends, a header field first and an empty line after the header: the
    /// gateway stores these byte for byte.</summary>
    public static IReadOnlyList<Corpus.Entry> CrlfMessages() =>
        Corpus.Entries.Where(e => e.Features.Contains("eol:crlf", StringComparison.Ordinal) && Storable(e.Bytes())).ToList();

    private static bool Storable(byte[] bytes) =>
        StartsWithField(bytes) && Array.IndexOf(bytes, (byte)0) < 0 && bytes.AsSpan().IndexOf("\r\n\r\n"u8) > 0;

    /// <summary>A small generated message with a unique Message-ID.</summary>
    public static byte[] Generated(string messageId, string subject = "Appended", int bodyLines = 3)
    {
        var lines = string.Join("\r\n", Enumerable.Range(1, bodyLines).Select(i => $"Line {i} of a message appended through the gateway."));
        return System.Text.Encoding.UTF8.GetBytes(
            $"From: Alice Example <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: {subject}\r\n"
            + $"Date: Tue, 04 Mar 2025 10:00:00 +0000\r\nMessage-ID: <{messageId}>\r\nMIME-Version: 1.0\r\n"
            + $"Content-Type: text/plain; charset=utf-8\r\n\r\n{lines}\r\n");
    }

    /// <summary>UIDs of the messages in <paramref name="path"/> whose bytes hash like <paramref name="bytes"/>, read
    /// with a plain client (the server's truth).</summary>
    public static async Task<List<uint>> FindByBytesAsync(string user, string path, byte[] bytes)
    {
        await using var imap = await TestImap.ConnectAsync(user);
        var folder = await imap.ExamineAsync(path);
        var all = await folder.SearchAsync(SearchQuery.All);
        var want = SHA256.HashData(bytes);
        var found = new List<uint>();
        foreach (var uid in all)
        {
            if (SHA256.HashData(await imap.RawAsync(path, uid.Id)).AsSpan().SequenceEqual(want))
            {
                found.Add(uid.Id);
            }
        }

        return found;
    }

    /// <summary>How many messages <paramref name="path"/> holds (a plain client's EXAMINE).</summary>
    public static async Task<int> CountAsync(string user, string path)
    {
        await using var imap = await TestImap.ConnectAsync(user);
        return (await imap.ExamineAsync(path)).Count;
    }

    /// <summary>UIDs in <paramref name="path"/> whose Message-ID header is <paramref name="messageId"/>.</summary>
    public static async Task<IList<UniqueId>> FindByMessageIdAsync(string user, string path, string messageId)
    {
        await using var imap = await TestImap.ConnectAsync(user);
        var folder = await imap.ExamineAsync(path);
        return await folder.SearchAsync(SearchQuery.HeaderContains("Message-ID", messageId));
    }

    private static bool StartsWithField(byte[] bytes)
    {
        var i = 0;
        while (i < bytes.Length && bytes[i] is >= 33 and <= 126 and not (byte)':')
        {
            i++;
        }

        return i > 0 && i < bytes.Length && bytes[i] == ':';
    }
}

using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A plain MailKit client, outside the gateway, for a test's own IMAP work: putting messages in place and reading the
/// server's truth to compare the gateway's answers with. One per test; dispose it.
/// </summary>
public sealed class TestImap : IAsyncDisposable
{
    private TestImap(ImapClient client, string user)
    {
        Client = client;
        User = user;
    }

    public ImapClient Client { get; }

    public string User { get; }

    /// <summary>Logs in as <paramref name="user"/> (a <c>t-*</c> user takes the test password).</summary>
    public static async Task<TestImap> ConnectAsync(string user, string? password = null)
    {
        var client = new ImapClient();
        await client.ConnectAsync(MailEnvironment.ImapHost, MailEnvironment.ImapPort, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, password ?? MailEnvironment.TestPassword);
        return new TestImap(client, user);
    }

    /// <summary>The folder with full name <paramref name="path"/>, created (and subscribed) when missing.</summary>
    public async Task<IMailFolder> FolderAsync(string path)
    {
        if (string.Equals(path, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return Client.Inbox;
        }

        try
        {
            return await Client.GetFolderAsync(path);
        }
        catch (FolderNotFoundException)
        {
            var root = Client.GetFolder(Client.PersonalNamespaces[0]) ?? throw new InvalidOperationException("No personal namespace.");
            var created = await root.CreateAsync(path, isMessageFolder: true) ?? throw new InvalidOperationException("CREATE gave no folder.");
            await created.SubscribeAsync();
            return created;
        }
    }

    /// <summary>Appends raw bytes; returns the new UID.</summary>
    public async Task<uint> AppendAsync(string path, byte[] raw, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedAt = null, IEnumerable<string>? keywords = null)
    {
        var folder = await FolderAsync(path);
        using var stream = new MemoryStream(raw);
        // MimeKit writes a parsed message back byte for byte in all but malformed cases; tests compare the gateway with
        // what the server holds (RawAsync), not with the file.
        var message = await MimeMessage.LoadAsync(stream);
        var request = new AppendRequest(message, flags)
        {
            InternalDate = receivedAt,
            Keywords = keywords is null ? null : new HashSet<string>(keywords, StringComparer.Ordinal),
        };
        var uid = await folder.AppendAsync(FormatOptions.Default, request);
        return uid?.Id ?? throw new InvalidOperationException("The server gave no APPENDUID.");
    }

    /// <summary>Appends a MIME message; returns the new UID.</summary>
    public async Task<uint> AppendAsync(string path, MimeMessage message, MessageFlags flags = MessageFlags.None, DateTimeOffset? receivedAt = null)
    {
        var folder = await FolderAsync(path);
        var uid = await folder.AppendAsync(new AppendRequest(message, flags) { InternalDate = receivedAt });
        return uid?.Id ?? throw new InvalidOperationException("The server gave no APPENDUID.");
    }

    /// <summary>Appends <paramref name="count"/> generated messages in one MULTIAPPEND; returns their UIDs in order.</summary>
    public async Task<IList<uint>> AppendGeneratedAsync(string path, int count, int seed = 1, DateTimeOffset? start = null)
    {
        var folder = await FolderAsync(path);
        var first = start ?? new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero);
        var requests = new List<IAppendRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var message = TestMessages.Generated(seed, i, first.AddMinutes(i * 7));
            requests.Add(new AppendRequest(message, i % 3 == 0 ? MessageFlags.Seen : MessageFlags.None) { InternalDate = first.AddMinutes(i * 7) });
        }

        var uids = new List<uint>(count);
        foreach (var chunk in requests.Chunk(500))
        {
            var result = await folder.AppendAsync(chunk);
            uids.AddRange(result.Select(u => u.Id));
        }

        return uids;
    }

    /// <summary>Opens <paramref name="path"/> read-only (so reading never sets \Seen) and returns it.</summary>
    public async Task<IMailFolder> ExamineAsync(string path)
    {
        var folder = await FolderAsync(path);
        await folder.OpenAsync(FolderAccess.ReadOnly);
        return folder;
    }

    /// <summary>Opens <paramref name="path"/> read-write and returns it.</summary>
    public async Task<IMailFolder> SelectAsync(string path)
    {
        var folder = await FolderAsync(path);
        await folder.OpenAsync(FolderAccess.ReadWrite);
        return folder;
    }

    /// <summary>The exact bytes the server holds for one message (BODY.PEEK[]).</summary>
    public async Task<byte[]> RawAsync(string path, uint uid)
    {
        var folder = await ExamineAsync(path);
        using var stream = await folder.GetStreamAsync(new UniqueId(uid), string.Empty);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Client.IsConnected)
            {
                await Client.DisconnectAsync(quit: true);
            }
        }
        catch (Exception ex) when (ex is IOException or ImapProtocolException or OperationCanceledException)
        {
        }

        Client.Dispose();
    }
}

/// <summary>Deterministic generated messages.</summary>
public static class TestMessages
{
    private static readonly string[] Names = ["Alice Example", "Bob Builder", "Carol Chen", "Dave Øster", "Eve Ünal", "Frank"];
    private static readonly string[] Words = ["report", "budget", "meeting", "release", "invoice", "holiday", "draft", "review", "plan", "notes"];

    /// <summary>Message <paramref name="index"/> of a series: varied senders, subjects, recipients, some with attachments.</summary>
    public static MimeMessage Generated(int seed, int index, DateTimeOffset date)
    {
        var random = new Random(seed * 100_003 + index);
        var message = new MimeMessage();
        var from = Names[random.Next(Names.Length)];
        message.From.Add(new MailboxAddress(from, from.Split(' ')[0].ToLowerInvariant() + "@example.test"));
        message.To.Add(new MailboxAddress("Test User", "user@example.test"));
        if (random.Next(4) == 0)
        {
            message.Cc.Add(new MailboxAddress(null, "cc" + index + "@example.test"));
        }

        message.Subject = $"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} #{index}";
        message.Date = date;
        message.MessageId = $"gen-{seed}-{index}@example.test";
        var body = new TextPart("plain") { Text = $"Message {index} about {message.Subject}.\r\nRegards, {from}\r\n" };
        if (random.Next(5) == 0)
        {
            var multipart = new Multipart("mixed") { body };
            multipart.Add(new MimePart("application", "pdf")
            {
                Content = new MimeContent(new MemoryStream(System.Text.Encoding.ASCII.GetBytes("%PDF-1.4 test " + index))),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = $"file-{index}.pdf",
            });
            message.Body = multipart;
        }
        else
        {
            message.Body = body;
        }

        return message;
    }
}

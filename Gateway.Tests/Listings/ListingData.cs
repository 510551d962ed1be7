using Gateway.Tests.Infrastructure;
using MailKit;
using MimeKit;

namespace Gateway.Tests.Listings;

/// <summary>The mailboxes the listing tests seed, each through TestImap (MULTIAPPEND), with varied flags, keywords,
/// internal dates and Date headers so that arrival order and date order differ.</summary>
internal static class ListingData
{
    public static readonly DateTimeOffset NewerStart = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset OlderStart = new(2025, 1, 10, 8, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset TieDate = new(2025, 2, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Appends the corpus (every message MimeKit can load) with varied flags, keywords and internal dates.
    /// Returns the file names appended, in append order (in a new mailbox, UID n is file n-1).</summary>
    public static async Task<List<string>> SeedCorpusAsync(TestImap imap, string path)
    {
        var folder = await imap.FolderAsync(path);
        var start = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var requests = new List<IAppendRequest>();
        var files = new List<string>();
        for (var i = 0; i < Corpus.Entries.Count; i++)
        {
            MimeMessage message;
            try
            {
                using var stream = new MemoryStream(Corpus.Entries[i].Bytes());
                message = await MimeMessage.LoadAsync(stream);
            }
            catch (FormatException)
            {
                continue; // no header block MimeKit can read: MailKit cannot APPEND it
            }

            var keywords = new HashSet<string>(StringComparer.Ordinal);
            if (i % 6 == 0)
            {
                keywords.Add("$Forwarded");
            }

            if (i % 7 == 0)
            {
                keywords.Add("project-x");
            }

            files.Add(Corpus.Entries[i].File);
            requests.Add(new AppendRequest(message, Flags(i))
            {
                InternalDate = start.AddMinutes(i * 11).AddSeconds(i),
                Keywords = keywords.Count == 0 ? null : keywords,
            });
        }

        foreach (var chunk in requests.Chunk(100))
        {
            await folder.AppendAsync(chunk);
        }

        return files;
    }

    /// <summary>
    /// About 300 generated messages: 150 dated from <see cref="NewerStart"/>, then 140 dated from <see cref="OlderStart"/>
    /// (higher UIDs, older dates), then special ones: three with the same Date (ties), two without Date, two with
    /// non-UTC offsets, one with groups, several From and an In-Reply-To, one with encoded words, one with a named inline
    /// image. Then flags and keywords are set by UID. Returns the UIDs in append order.
    /// </summary>
    public static async Task<List<uint>> SeedGeneratedAsync(TestImap imap, string path)
    {
        var uids = new List<uint>();
        uids.AddRange(await imap.AppendGeneratedAsync(path, 150, seed: 11, start: NewerStart));
        uids.AddRange(await imap.AppendGeneratedAsync(path, 140, seed: 12, start: OlderStart));
        var folder = await imap.FolderAsync(path);
        var specials = Specials().ToList();
        var appended = await folder.AppendAsync(specials.Select(s => (IAppendRequest)new AppendRequest(s.Message, MessageFlags.None) { InternalDate = s.ReceivedAt }).ToList());
        uids.AddRange(appended.Select(u => u.Id));

        await folder.OpenAsync(FolderAccess.ReadWrite);
        async Task Store(Func<uint, bool> which, MessageFlags flags, params string[] keywords)
        {
            var set = uids.Where(which).Select(u => new UniqueId(u)).ToList();
            if (set.Count == 0)
            {
                return;
            }

            var request = new StoreFlagsRequest(StoreAction.Add, flags) { Silent = true };
            foreach (var k in keywords)
            {
                request.Keywords.Add(k);
            }

            await folder.StoreAsync(set, request);
        }

        await Store(u => u % 5 == 0, MessageFlags.Flagged);
        await Store(u => u % 7 == 0, MessageFlags.Answered);
        await Store(u => u % 13 == 0, MessageFlags.Draft);
        await Store(u => u % 4 == 0, MessageFlags.None, "$label1");
        await Store(u => u % 6 == 0, MessageFlags.None, "Work", "$Forwarded");
        await Store(u => u % 11 == 0, MessageFlags.Seen);
        await folder.CloseAsync();
        return uids;
    }

    /// <summary>
    /// 1,000 generated messages whose date order differs from their arrival order and has long runs of equal dates:
    /// 490 dated from <see cref="NewerStart"/>, 20 all dated <see cref="TieDate"/>, 490 dated from
    /// <see cref="OlderStart"/>. Returns the UIDs in append order.
    /// </summary>
    public static async Task<List<uint>> SeedThousandAsync(TestImap imap, string path)
    {
        var uids = new List<uint>();
        uids.AddRange(await imap.AppendGeneratedAsync(path, 490, seed: 21, start: NewerStart));
        uids.AddRange(await AppendDatedAsync(imap, path, Enumerable.Repeat(TieDate, 20).ToList(), seed: 23));
        uids.AddRange(await imap.AppendGeneratedAsync(path, 490, seed: 22, start: OlderStart));
        return uids;
    }

    /// <summary>Appends generated messages with the given Date headers (INTERNALDATE a minute apart from 2025-02-20) in
    /// one MULTIAPPEND; returns their UIDs.</summary>
    public static async Task<List<uint>> AppendDatedAsync(TestImap imap, string path, IReadOnlyList<DateTimeOffset> dates, int seed)
    {
        var folder = await imap.FolderAsync(path);
        var received = new DateTimeOffset(2025, 2, 20, 9, 0, 0, TimeSpan.Zero);
        var requests = dates.Select((d, i) => (IAppendRequest)new AppendRequest(TestMessages.Generated(seed, i, d), MessageFlags.None) { InternalDate = received.AddMinutes(i) }).ToList();
        return (await folder.AppendAsync(requests)).Select(u => u.Id).ToList();
    }

    private static IEnumerable<(MimeMessage Message, DateTimeOffset ReceivedAt)> Specials()
    {
        var received = new DateTimeOffset(2025, 2, 20, 9, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 3; i++)
        {
            var tie = Simple($"tie {i}", $"tie-{i}@example.test", "Tie Sender", "tie@example.test");
            tie.Date = TieDate;
            yield return (tie, received.AddMinutes(i));
        }

        for (var i = 0; i < 2; i++)
        {
            var undated = Simple($"undated {i}", $"undated-{i}@example.test", "Nobody Dated", "undated@example.test");
            undated.Headers.Remove(HeaderId.Date);
            yield return (undated, new DateTimeOffset(2025, 2, 15, 10, 30, 15 + i, TimeSpan.Zero));
        }

        var east = Simple("offset east", "east@example.test", "Priya East", "priya@example.in");
        east.Date = new DateTimeOffset(2025, 2, 2, 8, 15, 0, TimeSpan.FromHours(5.5));
        yield return (east, received.AddMinutes(10));

        var west = Simple("offset west", "west@example.test", "Walt West", "walt@example.us");
        west.Date = new DateTimeOffset(2025, 2, 1, 22, 45, 0, TimeSpan.FromHours(-8));
        yield return (west, received.AddMinutes(11));

        var groups = Simple("groups and several senders", "groups@example.test", "First Sender", "first@example.test");
        groups.From.Add(new MailboxAddress("Second Sender", "second@example.test"));
        groups.To.Clear();
        groups.To.Add(new GroupAddress("Team", [new MailboxAddress("Member One", "one@example.test"), new MailboxAddress(null, "two@example.test")]));
        groups.To.Add(new MailboxAddress("Solo Recipient", "solo@example.test"));
        groups.ReplyTo.Add(new MailboxAddress("Replies", "replies@example.test"));
        groups.InReplyTo = "parent-1@example.test";
        yield return (groups, received.AddMinutes(12));

        var encoded = Simple("Grüße aus Köln – 日本語の件名 ✨", "encoded@example.test", "Zoë Çelik", "zoe@example.test");
        yield return (encoded, received.AddMinutes(13));

        var inline = Simple("inline picture", "inline@example.test", "Ivy Inline", "ivy@example.test");
        var related = new MultipartRelated { new TextPart("html") { Text = "<p>see <img src=\"cid:pic\"></p>" } };
        related.Add(new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])),
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline) { FileName = "pic.png" },
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "pic",
        });
        inline.Body = related;
        yield return (inline, received.AddMinutes(14));
    }

    private static MimeMessage Simple(string subject, string messageId, string fromName, string fromAddress)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress(fromName, fromAddress));
        m.To.Add(new MailboxAddress("Test User", "user@example.test"));
        m.Subject = subject;
        m.MessageId = messageId;
        m.Date = new DateTimeOffset(2025, 2, 10, 0, 0, 0, TimeSpan.Zero);
        m.Body = new TextPart("plain") { Text = $"Body of {subject}.\r\n" };
        return m;
    }

    private static MessageFlags Flags(int i)
    {
        var flags = MessageFlags.None;
        if (i % 3 == 0)
        {
            flags |= MessageFlags.Seen;
        }

        if (i % 4 == 0)
        {
            flags |= MessageFlags.Flagged;
        }

        if (i % 5 == 0)
        {
            flags |= MessageFlags.Answered;
        }

        if (i % 9 == 0)
        {
            flags |= MessageFlags.Draft;
        }

        return flags;
    }
}

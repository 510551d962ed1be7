using System.Diagnostics;
using Gateway.Core.Messages;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;
using MessageFlags = MailKit.MessageFlags;

namespace Gateway.Bench;

/// <summary>The plain-MailKit baselines: the same IMAP commands the gateway sends, with nothing around them.</summary>
internal static class ImapBaseline
{
    /// <summary>Connects and logs in the bench user, enabling what the gateway's pool enables after login.</summary>
    public static async Task<ImapClient> ConnectAsync(BenchSettings settings, CancellationToken ct, bool enableExtensions = true)
    {
        var client = new ImapClient { Timeout = 60_000 };
        try
        {
            await client.ConnectAsync(settings.ImapHost, settings.ImapPort, SecureSocketOptions.None, ct);
            await client.AuthenticateAsync(settings.User, settings.Password, ct);
            if (enableExtensions && client.Capabilities.HasFlag(ImapCapabilities.QuickResync))
            {
                await client.EnableQuickResyncAsync(ct);
            }

            if (enableExtensions && client.Capabilities.HasFlag(ImapCapabilities.UTF8Accept))
            {
                await client.EnableUTF8Async(ct);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>B2's baseline: what <c>MessageListService</c> sends for a cold first page (STATUS, EXAMINE, FETCH of the
    /// newest 51 by sequence number with the summary items), timed on an authenticated connection.</summary>
    public static async Task<double> ColdFirstPageAsync(ImapClient client, int pageSize, CancellationToken ct)
    {
        var inbox = client.Inbox;
        var items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count;
        if (client.Capabilities.HasFlag(ImapCapabilities.CondStore))
        {
            items |= StatusItems.HighestModSeq;
        }

        var clock = Stopwatch.StartNew();
        await inbox.StatusAsync(items, ct);
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        var want = pageSize + 1;
        var first = Math.Max(0, inbox.Count - want);
        var fetched = await inbox.FetchAsync(first, inbox.Count - 1, SummaryFetch.RequestFor(client), ct);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (fetched.Count != Math.Min(want, inbox.Count))
        {
            throw new InvalidOperationException($"The baseline fetched {fetched.Count} messages, expected {want}.");
        }

        return elapsed;
    }

    /// <summary>What one STATUS of INBOX costs on this server when the connection does not have it selected, and when it
    /// does (the gateway sends one per cached page): median milliseconds of <paramref name="count"/> each.</summary>
    public static async Task<(double Unselected, double Selected)> StatusCostAsync(ImapClient client, int count, CancellationToken ct)
    {
        var inbox = client.Inbox;
        var items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count | StatusItems.HighestModSeq;
        var unselected = new List<double>(count);
        var selected = new List<double>(count);
        await inbox.StatusAsync(items, ct); // the first command of a session pays more; not counted
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await inbox.StatusAsync(items, ct);
            unselected.Add(clock.Elapsed.TotalMilliseconds);
        }

        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await inbox.StatusAsync(items, ct);
            selected.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (Figure.Median(unselected), Figure.Median(selected));
    }

    /// <summary>B3's baseline, one request: connect, log in, EXAMINE, FETCH the newest <paramref name="pageSize"/>
    /// summaries, LOGOUT.</summary>
    public static async Task LoginPerRequestAsync(BenchSettings settings, int pageSize, CancellationToken ct)
    {
        using var client = await ConnectAsync(settings, ct, enableExtensions: false);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        var first = Math.Max(0, inbox.Count - pageSize);
        var fetched = await inbox.FetchAsync(first, inbox.Count - 1, SummaryFetch.RequestFor(client), ct);
        if (fetched.Count != Math.Min(pageSize, inbox.Count))
        {
            throw new InvalidOperationException($"Fetched {fetched.Count} summaries, expected {pageSize}.");
        }

        await client.DisconnectAsync(true, ct);
    }

    /// <summary>B5's baseline: what <c>MailboxFiller</c> sends for a cold mailbox (EXAMINE, UID SEARCH, then UID FETCH of
    /// the summary items in batches of <paramref name="batchSize"/> from the newest down). Returns the summaries
    /// fetched and the seconds it took.</summary>
    public static async Task<(long Count, double Seconds)> FillAsync(ImapClient client, int batchSize, CancellationToken ct)
    {
        var inbox = client.Inbox;
        var request = SummaryFetch.RequestFor(client);
        var clock = Stopwatch.StartNew();
        await inbox.OpenAsync(FolderAccess.ReadOnly, ct);
        var uids = await inbox.SearchAsync(SearchQuery.All, ct);
        long count = 0;
        for (var end = uids.Count; end > 0; end -= batchSize)
        {
            var start = Math.Max(0, end - batchSize);
            var batch = new List<UniqueId>(end - start);
            for (var i = start; i < end; i++)
            {
                batch.Add(uids[i]);
            }

            count += (await inbox.FetchAsync(batch, request, ct)).Count;
        }

        return (count, clock.Elapsed.TotalSeconds);
    }

    /// <summary>B4's change: APPENDs one new message and sets \Flagged on <paramref name="flagUid"/>, from a connection
    /// of its own (not the gateway's). Returns the appended message's subject and UID.</summary>
    public static async Task<(string Subject, uint Uid)> AppendAndFlagAsync(BenchSettings settings, uint flagUid, int serial, CancellationToken ct)
    {
        using var client = await ConnectAsync(settings, ct, enableExtensions: false);
        var subject = $"Bench refresh {serial} {Guid.NewGuid():N}";
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Bench Sender", "sender@bench.example"));
        message.To.Add(new MailboxAddress("T-Bench", settings.User));
        message.Subject = subject;
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = $"{Guid.NewGuid():N}@bench.example";
        var text = string.Join(' ', Enumerable.Repeat("A new message to see what one refresh of a 100k mailbox costs.", 20));
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = "<p>" + text + "</p>" }.ToMessageBody();

        var inbox = client.Inbox;
        var appended = await inbox.AppendAsync(new AppendRequest(message, MessageFlags.None), ct)
            ?? throw new InvalidOperationException("APPEND returned no UID (no UIDPLUS?).");
        await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
        await inbox.StoreAsync(new UniqueId(flagUid), new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Silent = true }, ct);
        await client.DisconnectAsync(true, ct);
        return (subject, appended.Id);
    }

    /// <summary>Undoes B4: clears \Flagged on <paramref name="flagged"/> and expunges <paramref name="appended"/>.</summary>
    public static async Task UndoAsync(BenchSettings settings, IList<UniqueId> flagged, IList<UniqueId> appended, CancellationToken ct)
    {
        using var client = await ConnectAsync(settings, ct, enableExtensions: false);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite, ct);
        if (flagged.Count > 0)
        {
            await inbox.StoreAsync(flagged, new StoreFlagsRequest(StoreAction.Remove, MessageFlags.Flagged) { Silent = true }, ct);
        }

        if (appended.Count > 0)
        {
            await inbox.StoreAsync(appended, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, ct);
            await inbox.ExpungeAsync(appended, ct);
        }

        await client.DisconnectAsync(true, ct);
    }
}

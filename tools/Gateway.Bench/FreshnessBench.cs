using System.Diagnostics;
using System.Net.Http.Headers;
using MailKit;
using MimeKit;

namespace Gateway.Bench;

/// <summary>B8: freshness of push. A subscriber holds <c>GET /api/v1/accounts/me/events</c> open; another IMAP
/// connection APPENDs to the 100k INBOX or to a small second mailbox, alternately; the time from just before the
/// APPEND to the <c>event: state</c> naming that mailbox is one sample. The watcher refreshes the mailbox's header
/// cache before it publishes, so this is the time until a listing is current without any check.</summary>
internal static class FreshnessBench
{
    public const string OtherMailbox = "Bench-Other";

    public static async Task RunAsync(BenchContext context, int trials, CancellationToken ct)
    {
        var gateway = context.Gateway;
        using var imap = await ImapBaseline.ConnectAsync(context.Settings, ct, enableExtensions: false);
        var root = imap.GetFolder(imap.PersonalNamespaces[0]);
        IMailFolder other;
        try
        {
            other = await imap.GetFolderAsync(OtherMailbox, ct);
        }
        catch (FolderNotFoundException)
        {
            other = await root.CreateAsync(OtherMailbox, true, ct) ?? throw new InvalidOperationException("CREATE gave no folder.");
        }

        // A run stopped by its time limit cannot clean up after itself: remove what an earlier one left.
        foreach (var folder in new[] { imap.Inbox, other })
        {
            await folder.OpenAsync(FolderAccess.ReadWrite, ct);
            var stale = await folder.SearchAsync(MailKit.Search.SearchQuery.SubjectContains("Bench freshness"), ct);
            if (stale.Count > 0)
            {
                await folder.StoreAsync(stale, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, ct);
                await folder.ExpungeAsync(stale, ct);
            }
        }

        using var list = await gateway.GetJsonAsync("/api/v1/accounts/me/mailboxes", ct);
        var ids = list.RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(m => m.GetProperty("path").GetString()!, m => m.GetProperty("id").GetString()!);
        var targets = new[] { (Folder: imap.Inbox, Id: ids["INBOX"], Name: "inbox"), (Folder: other, Id: ids[OtherMailbox], Name: "other") };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await GatewayClient.EnsureAsync(response, "GET events", ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        await WaitForAsync(reader, e => e.Event == "ready", TimeSpan.FromSeconds(15), ct);

        var appended = new Dictionary<IMailFolder, List<UniqueId>> { [targets[0].Folder] = [], [targets[1].Folder] = [] };
        try
        {
            for (var trial = 0; trial < trials; trial++)
            {
                var target = targets[trial % 2];
                var message = new MimeMessage();
                message.From.Add(new MailboxAddress("Bench Sender", "sender@bench.example"));
                message.To.Add(new MailboxAddress("T-Bench", context.Settings.User));
                message.Subject = $"Bench freshness {trial}";
                message.Body = new TextPart("plain") { Text = "Push freshness probe." };
                var clock = Stopwatch.StartNew();
                var uid = await target.Folder.AppendAsync(new AppendRequest(message, MessageFlags.Seen), ct);
                if (uid is { } u)
                {
                    appended[target.Folder].Add(u);
                }

                await WaitForAsync(reader, e => e.Event == "state" && e.Data.Contains($"\"{target.Id}\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10), ct);
                var ms = clock.Elapsed.TotalMilliseconds;
                context.Results.Add($"B8.{target.Name}.ms", ms);
                context.Results.Add("B8.all.ms", ms);
            }
        }
        finally
        {
            foreach (var (folder, uids) in appended)
            {
                if (uids.Count == 0)
                {
                    continue;
                }

                await folder.OpenAsync(FolderAccess.ReadWrite, CancellationToken.None);
                await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, CancellationToken.None);
                await folder.ExpungeAsync(uids, CancellationToken.None);
            }

            await imap.DisconnectAsync(true, CancellationToken.None);
        }

        var all = context.Results.Get("B8.all.ms").Order().ToArray();
        BenchContext.Log($"B8: {all.Length} trials, p50 {BenchContext.F(Percentile(all, 0.5), "0")} ms, p95 {BenchContext.F(Percentile(all, 0.95), "0")} ms");
    }

    /// <summary>Opens the account's event stream and waits for <c>event: ready</c> (the watcher watches and vouches);
    /// dispose to close it.</summary>
    public static async Task<IDisposable> SubscribeAsync(BenchContext context, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/accounts/me/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await context.Gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await GatewayClient.EnsureAsync(response, "GET events", ct);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        await WaitForAsync(reader, e => e.Event == "ready", TimeSpan.FromSeconds(15), ct);
        return new Subscription(request, response, reader);
    }

    private sealed class Subscription(HttpRequestMessage request, HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
            request.Dispose();
        }
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task WaitForAsync(StreamReader reader, Func<(string Event, string Data), bool> match, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        string name = "message", data = string.Empty;
        while (true)
        {
            var line = await reader.ReadLineAsync(limit.Token) ?? throw new EndOfStreamException("The event stream ended.");
            if (line.Length == 0)
            {
                if (match((name, data)))
                {
                    return;
                }

                name = "message";
                data = string.Empty;
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data += line[5..].Trim();
            }
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using MessageIds = Gateway.Core.Messages.MessageIds;
using Gateway.Tests.Infrastructure;
using MailKit;
using MailKit.Search;
using Xunit.Abstractions;

namespace Gateway.Tests.Writes;

/// <summary>
/// Moves and deletes under a cut connection: the fault proxy sits between the gateway and Dovecot, and for every IMAP
/// command the write sends (learnt from an uncut run) the connection is cut once after the server's tagged answer (the
/// server did it, the gateway never learnt) and once before the command (the server never saw it), each time with a
/// fresh user. Checked with a plain IMAP client: the message is in the source, the target or both, never in neither;
/// no other message of the source was expunged or changed; the answer is a success or a retryable problem that says
/// where the message may be, never a 500. Then the same request is sent again, and what a retry does is pinned:
/// </summary>
/// <remarks>
/// <para>A retry moves (or deletes) what is still in the source and leaves alone what reached the target; a message
/// no longer in the source answers 404. So after a retry the source no longer has it, and the target has exactly one
/// copy more than the cut left there. With MOVE that is always one copy in all (MOVE is atomic). With the COPY
/// fallback, a cut after the COPY and before the UID EXPUNGE was confirmed leaves the message in both mailboxes, and a
/// blind retry copies it a second time (the problem's detail says so and advises a permanent delete of the source
/// instead): that duplicate, never a loss, is the guarantee.</para>
/// </remarks>
public sealed class MoveFaultTests(ITestOutputHelper output)
{
    private const string SourcePath = "INBOX";

    public static TheoryData<string> Paths => ["move", "move-fallback", "trash", "trash-fallback", "permanent"];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Write_ConnectionCutAroundEachCommand_NeverLosesOrExpungesOthers_RetryAddsAtMostOneCopy(string path)
    {
        var fallback = path.EndsWith("-fallback", StringComparison.Ordinal);
        var target = path switch
        {
            "permanent" => null,
            "move" or "move-fallback" => "Archive",
            _ => "Trash",
        };
        await using var proxy = FaultProxy.Start();
        await using var app = new GatewayApplication(s =>
        {
            s["Imap:Port"] = proxy.Port.ToString(CultureInfo.InvariantCulture);

            // One connection per user: the listing, its cache fill and the write take turns on it, so every case sends
            // the same commands in the same order.
            s["Pool:MaxConnectionsPerAccount"] = "1";
            if (fallback)
            {
                s["Imap:DisabledExtensions"] = "MOVE";
            }
        });

        // An uncut run: the commands the write sends on its connection, in order.
        string[] commands;
        await using (var world = await World.CreateAsync(app, proxy, path))
        {
            var mark = proxy.Commands.Count;
            var response = await SendAsync(world, path);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            // Only the write's own connection (a listing's background fill may still be talking on another).
            var window = proxy.Commands.Skip(mark).ToList();
            var connection = window.First(c => WithoutTag(c).StartsWith("UID MOVE ", StringComparison.Ordinal)
                || WithoutTag(c).StartsWith("UID COPY ", StringComparison.Ordinal)
                || WithoutTag(c).StartsWith("UID STORE ", StringComparison.Ordinal)).Split(' ')[0];
            commands = window.Where(c => c.StartsWith(connection + " ", StringComparison.Ordinal)).Select(WithoutTag).ToArray();
        }

        var names = commands.Select(c => c.Split(' ')[0] is "UID" ? "UID " + c.Split(' ')[1] : c.Split(' ')[0]).ToHashSet();
        Assert.Contains(path switch
        {
            "permanent" => "UID EXPUNGE",
            _ when fallback => "UID EXPUNGE",
            _ => "UID MOVE",
        }, names);
        Assert.DoesNotContain("EXPUNGE", names);
        Assert.DoesNotContain("CLOSE", names);
        output.WriteLine($"{path}: {string.Join(" | ", commands)}");

        var rows = new List<string>();
        for (var i = 0; i < commands.Length; i++)
        {
            var command = commands[i];
            var occurrence = commands.Take(i + 1).Count(c => c == command);
            foreach (var before in new[] { false, true })
            {
                await using var world = await World.CreateAsync(app, proxy, path);
                var rule = before
                    ? proxy.CutBeforeCommand(line => WithoutTag(line) == command, occurrence)
                    : proxy.CutAfterResponse(line => WithoutTag(line) == command, occurrence);
                var response = await SendAsync(world, path);
                var body = await response.Content.ReadAsStringAsync();
                var cut = $"{(before ? "before" : "after")} {command} (#{occurrence})";
                Assert.True(rule.Fired, $"{cut}: not sent this time: {string.Join(" | ", proxy.Commands.TakeLast(20))}");

                var (inSource, deletedInSource) = await world.SourceCopiesAsync();
                var inTarget = target is null ? 0 : await world.CopiesAsync(target);
                rows.Add($"| {cut} | {(int)response.StatusCode} | source {inSource}{(deletedInSource ? " (\\Deleted)" : string.Empty)}, target {inTarget} |");
                await world.AssertOthersUntouchedAsync(cut);
                AssertAnswer(response, body, cut);

                if (target is null)
                {
                    Assert.True(inSource <= 1, cut);
                    if (response.IsSuccessStatusCode)
                    {
                        Assert.True(inSource == 0, $"{cut}: answered {(int)response.StatusCode} but the message is still there");
                    }
                    else if (inSource == 0 || deletedInSource)
                    {
                        Assert.Contains("removed for good", body, StringComparison.Ordinal);
                    }
                }
                else
                {
                    Assert.True(inSource + inTarget >= 1, $"{cut}: the message is in neither mailbox");
                    Assert.True(inSource <= 1 && inTarget <= 1, $"{cut}: source {inSource}, target {inTarget}");
                    if (response.IsSuccessStatusCode)
                    {
                        Assert.True(inSource == 0 && inTarget == 1, $"{cut}: answered {(int)response.StatusCode}, but source {inSource}, target {inTarget}");
                    }
                    else if (inTarget > 0 || deletedInSource)
                    {
                        // The write happened in part or in full: the answer must say where the message may be.
                        Assert.Contains("target", body, StringComparison.Ordinal);
                    }
                }

                // A retry of the same request, without a cut.
                var retry = await SendAsync(world, path);
                var retryBody = await retry.Content.ReadAsStringAsync();
                var (afterSource, _) = await world.SourceCopiesAsync();
                var afterTarget = target is null ? 0 : await world.CopiesAsync(target);
                rows[^1] += $" retry {(int)retry.StatusCode}: source {afterSource}, target {afterTarget} |";
                if (inSource > 0)
                {
                    Assert.True(retry.IsSuccessStatusCode, $"{cut}: the retry answered {(int)retry.StatusCode} {retryBody}");
                }
                else
                {
                    await ProblemAssert.IsProblemAsync(retry, HttpStatusCode.NotFound, "message-not-found");
                }

                Assert.Equal(0, afterSource);
                Assert.Equal(inTarget + (target is not null && inSource > 0 ? 1 : 0), afterTarget);
                if (!fallback)
                {
                    Assert.True(target is null || afterTarget == 1, $"{cut}: {afterTarget} copies in the target after a retry with MOVE");
                }

                await world.AssertOthersUntouchedAsync(cut + ", after the retry");
            }
        }

        output.WriteLine("| cut | answer | after the cut | retry |");
        foreach (var row in rows)
        {
            output.WriteLine(row);
        }
    }

    /// <summary>A success, or a retryable problem (503 with Retry-After, or 504), never a 500 or a stack trace.</summary>
    private static void AssertAnswer(HttpResponseMessage response, string body, string cut)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        Assert.True(status is 503 or 504, $"{cut}: {status} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.True(problem.GetProperty("retryable").GetBoolean(), $"{cut}: {body}");
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (status == 503)
        {
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{cut}: 503 without Retry-After");
        }
    }

    private static Task<HttpResponseMessage> SendAsync(World world, string path) => path switch
    {
        "move" or "move-fallback" => WriteHttp.PostAsync(world.Client, WriteHttp.MessageUrl(world.MessageId) + "/move", new { mailboxId = "archive" }),
        "permanent" => WriteHttp.SendAsync(world.Client, HttpMethod.Delete, WriteHttp.MessageUrl(world.MessageId) + "?permanent=true", null),
        _ => WriteHttp.SendAsync(world.Client, HttpMethod.Delete, WriteHttp.MessageUrl(world.MessageId), null),
    };

    /// <summary>A proxy log line without its connection number and tag: <c>UID MOVE 1 Archive</c>.</summary>
    private static string WithoutTag(string line)
    {
        var parts = line.Split(' ', 3);
        return line.StartsWith('#') ? parts[2] : line.Split(' ', 2)[1];
    }

    /// <summary>One case's data: a fresh user with three INBOX messages (the third marked \Deleted by someone else),
    /// the gateway logged in as it, and the first message's id.</summary>
    private sealed class World : IAsyncDisposable
    {
        private const string Moved = "gen-1-0@example.test";

        private World(TestImap imap, HttpClient client, string messageId, Dictionary<uint, string> others)
        {
            Imap = imap;
            Client = client;
            MessageId = messageId;
            Others = others;
        }

        public TestImap Imap { get; }

        public HttpClient Client { get; }

        public string MessageId { get; }

        /// <summary>The other messages of the source: UID and flags before the write.</summary>
        private Dictionary<uint, string> Others { get; }

        public static async Task<World> CreateAsync(GatewayApplication app, FaultProxy proxy, string hint)
        {
            var user = MailEnvironment.NewUser("mvfault-" + hint);
            var imap = await TestImap.ConnectAsync(user);
            var uids = await imap.AppendGeneratedAsync(SourcePath, 3);
            var inbox = await imap.SelectAsync(SourcePath);
            await inbox.AddFlagsAsync(new UniqueId(uids[2]), MessageFlags.Deleted, silent: true);
            var (client, _, _) = await app.LoginAsync(user);
            var mailboxId = await Listings.Listing.MailboxIdAsync(client, SourcePath);

            // A listing fills the header cache, so the write also brings it up to date (more commands to cut).
            await Listings.Listing.PageAsync(client, mailboxId);

            // Then the cache fill behind the listing finishes, so a cut hits only the write's commands.
            for (var seen = -1; proxy.Commands.Count != seen;)
            {
                seen = proxy.Commands.Count;
                await Task.Delay(100);
            }
            var world = new World(imap, client, MessageIds.For(mailboxId, inbox.UidValidity, uids[0]), []);
            foreach (var (uid, flags) in await world.StateAsync(SourcePath))
            {
                if (uid != uids[0])
                {
                    world.Others[uid] = flags;
                }
            }

            return world;
        }

        /// <summary>Copies of the message in the source, and whether one is marked \Deleted.</summary>
        public async Task<(int Count, bool Deleted)> SourceCopiesAsync()
        {
            var folder = await Imap.ExamineAsync(SourcePath);
            var uids = await folder.SearchAsync(SearchQuery.HeaderContains("Message-ID", Moved));
            var deleted = uids.Count > 0 && (await folder.FetchAsync(uids, MessageSummaryItems.Flags)).Any(m => m.Flags!.Value.HasFlag(MessageFlags.Deleted));
            return (uids.Count, deleted);
        }

        public async Task<int> CopiesAsync(string path)
        {
            var folder = await Imap.ExamineAsync(path);
            return (await folder.SearchAsync(SearchQuery.HeaderContains("Message-ID", Moved))).Count;
        }

        /// <summary>Every other message of the source is still there, with the flags it had.</summary>
        public async Task AssertOthersUntouchedAsync(string cut)
        {
            var now = await StateAsync(SourcePath);
            foreach (var (uid, flags) in Others)
            {
                Assert.True(now.TryGetValue(uid, out var current), $"{cut}: UID {uid} of the source was expunged");
                Assert.True(flags == current, $"{cut}: UID {uid} of the source changed: {flags} -> {current}");
            }
        }

        private async Task<Dictionary<uint, string>> StateAsync(string path)
        {
            var folder = await Imap.ExamineAsync(path);
            var fetched = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
            return fetched.ToDictionary(m => m.UniqueId.Id, m => m.Flags!.Value.ToString());
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Imap.DisposeAsync();
        }
    }
}

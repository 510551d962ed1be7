using System.Diagnostics.Tracing;
using System.Net;
using System.Security.Cryptography;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MailKit;
using MimeKit;
using Xunit.Abstractions;

namespace Gateway.Tests.Messages;

/// <summary>Tests that measure this process's allocations run alone, after every parallel test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "Memory measuring";
}

/// <summary>A 50 MB attachment is served, streamed and parsed without ever being whole in memory.</summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class LargeMessageTests(ITestOutputHelper output)
{
    private const int AttachmentSize = 50 * 1024 * 1024;

    /// <summary>No single allocation during a read may come near the attachment's size; a chunk is 1 MiB.</summary>
    private const long LargestAllowedAllocation = 8L * 1024 * 1024;

    [Fact]
    public async Task GetAttachment_FiftyMegabytes_StreamsTheOriginalBytesWithBoundedMemory()
    {
        await using var app = new GatewayApplication();
        var user = MailEnvironment.NewUser("large");
        var (client, accountId, _) = await app.LoginAsync(user);

        var original = new byte[AttachmentSize];
        new Random(42).NextBytes(original);
        var expectedHash = SHA256.HashData(original);
        string id;
        await using (var imap = await TestImap.ConnectAsync(user))
        {
            var message = new MimeMessage();
            message.From.Add(new MailboxAddress("Big", "big@example.test"));
            message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
            message.Subject = "Fifty megabytes";
            message.Body = new Multipart("mixed")
            {
                new TextPart("plain") { Text = "The data set.\r\n" },
                new MimePart("application", "octet-stream")
                {
                    Content = new MimeContent(new MemoryStream(original, writable: false)),
                    ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                    ContentTransferEncoding = ContentEncoding.Base64,
                    FileName = "data.bin",
                },
            };
            var uid = await imap.AppendAsync("INBOX", message);
            var inbox = await imap.FolderAsync("INBOX");
            await inbox.StatusAsync(StatusItems.UidValidity);
            id = MessageIds.For(MailboxIds.For(accountId, "INBOX"), inbox.UidValidity, uid);
        }

        original = null;
        GC.Collect();
        using var listener = new LargeAllocationListener();
        await listener.ProveItSeesAsync();

        // The attachment: decoded bytes equal the original.
        listener.Reset();
        var (status, hash, length) = await DownloadAsync(client, $"/api/v1/accounts/me/messages/{id}/attachments/p2");
        var largest = await listener.SettleAsync();
        output.WriteLine($"attachment: {length} bytes, largest allocation {largest} bytes");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(AttachmentSize, length);
        Assert.Equal(expectedHash, hash);
        Assert.InRange(largest, 1, LargestAllowedAllocation);

        // The raw message (about 68 MB of base64) streams the same way.
        listener.Reset();
        (status, _, length) = await DownloadAsync(client, $"/api/v1/accounts/me/messages/{id}/raw");
        largest = await listener.SettleAsync();
        output.WriteLine($"raw: {length} bytes, largest allocation {largest} bytes");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(length > AttachmentSize * 4L / 3);
        Assert.InRange(largest, 1, LargestAllowedAllocation);

        // The message resource parses it from a temporary file and measures the attachment by decoding it.
        listener.Reset();
        var json = await client.GetFromJsonElementAsync($"/api/v1/accounts/me/messages/{id}");
        largest = await listener.SettleAsync();
        output.WriteLine($"message: largest allocation {largest} bytes");
        var attachment = Assert.Single(json.GetProperty("attachments").EnumerateArray());
        Assert.Equal(AttachmentSize, attachment.GetProperty("size").GetInt64());
        Assert.Equal("The data set.\n", json.GetProperty("text").GetString());
        Assert.InRange(largest, 1, LargestAllowedAllocation);
    }

    private static async Task<(HttpStatusCode Status, byte[] Hash, long Length)> DownloadAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return (response.StatusCode, hash.GetHashAndReset(), length);
    }

    /// <summary>
    /// The size of the largest single allocation in this process, from the runtime's GC AllocationTick events (raised at
    /// least every ~100 KB allocated, and by any allocation larger than that): a buffer holding a whole attachment
    /// could not hide from it. Events arrive with a delay, hence <see cref="SettleAsync"/>.
    /// </summary>
    private sealed class LargeAllocationListener : EventListener
    {
        private long _largest;

        public void Reset() => Interlocked.Exchange(ref _largest, 0);

        /// <summary>Allocates 16 MB and waits until the listener has seen it, so a quiet listener cannot pass a test.</summary>
        public async Task ProveItSeesAsync()
        {
            Reset();
            var probe = GC.AllocateUninitializedArray<byte>(16 * 1024 * 1024);
            GC.KeepAlive(probe);
            for (var i = 0; i < 100 && Interlocked.Read(ref _largest) < probe.Length; i++)
            {
                await Task.Delay(100);
            }

            Assert.True(Interlocked.Read(ref _largest) >= probe.Length, "the allocation listener does not see large allocations");
        }

        /// <summary>Waits for events still in flight, then answers the largest allocation seen since <see cref="Reset"/>.</summary>
        public async Task<long> SettleAsync()
        {
            await Task.Delay(1500);
            return Interlocked.Read(ref _largest);
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null || eventData.Payload is null)
            {
                return;
            }

            // ObjectSize (V4 and later) is the triggering object's size; AllocationAmount64 (bytes since the last tick) bounds it.
            var index = eventData.PayloadNames.IndexOf("ObjectSize");
            if (index < 0)
            {
                index = eventData.PayloadNames.IndexOf("AllocationAmount64");
            }

            if (index < 0 || eventData.Payload[index] is not IConvertible value)
            {
                return;
            }

            var size = value.ToInt64(System.Globalization.CultureInfo.InvariantCulture);
            long current;
            while (size > (current = Interlocked.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, size, current) != current)
            {
            }
        }
    }
}

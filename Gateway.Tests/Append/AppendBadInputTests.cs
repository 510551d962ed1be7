using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Append;

/// <summary>Bad uploads are 4xx problems and leave the server unchanged (counted with a plain client).</summary>
public sealed class AppendBadInputTests
{
    private const int Limit = 64 * 1024;

    [Fact]
    public async Task Append_BodyOverLimit_413_NothingAppended_DeclaredOrStreamed()
    {
        var user = MailEnvironment.NewUser("append-413");
        await using var app = new GatewayApplication(s => s["Messages:MaxAppendBytes"] = Limit.ToString(CultureInfo.InvariantCulture));
        var (client, _, _) = await app.LoginAsync(user);
        var big = AppendSupport.Generated("big@example.test", bodyLines: 2000);
        Assert.True(big.Length > Limit);

        // Declared by Content-Length: refused before reading.
        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "inbox", big), HttpStatusCode.RequestEntityTooLarge, "payload-too-large");

        // Chunked, no Content-Length: counted while reading.
        using var request = new HttpRequestMessage(HttpMethod.Post, AppendSupport.Url("inbox")) { Content = new StreamContent(new NonSeekable(big)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        request.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload-too-large");

        // Just under the limit is fine.
        var fits = AppendSupport.Generated("fits@example.test", bodyLines: 1000);
        Assert.True(fits.Length <= Limit);
        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(client, "inbox", fits)).StatusCode);
        Assert.Equal(1, await AppendSupport.CountAsync(user, "INBOX"));
    }

    [Fact]
    public async Task Append_LargeMessage_SpooledToDisk_StoredByteForByte()
    {
        var user = MailEnvironment.NewUser("append-large");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var bytes = AppendSupport.Generated("large@example.test", bodyLines: 110_000); // ~6 MB: beyond the 4 MiB memory spool

        var response = await AppendSupport.PostAsync(client, "inbox", bytes);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal([1u], await AppendSupport.FindByBytesAsync(user, "INBOX", bytes));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task Append_WrongContentType_415(string? contentType)
    {
        var user = MailEnvironment.NewUser("append-415");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);

        var response = await AppendSupport.PostAsync(client, "inbox", AppendSupport.Generated("ct@example.test"), contentType: contentType);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(0, await AppendSupport.CountAsync(user, "INBOX"));
    }

    public static TheoryData<string, byte[]> BadBodies => new()
    {
        { "empty", [] },
        { "no header", "just some text\r\nand more\r\n"u8.ToArray() },
        { "mbox From line", "From someone@example.test Mon Jan  1 00:00:00 2025\r\nSubject: x\r\n\r\nbody\r\n"u8.ToArray() },
        { "binary garbage", Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251)).ToArray() },
        { "NUL byte", "Subject: nul\r\n\r\nbody \0 here\r\n"u8.ToArray() },
        { "leading blank line", "\r\nSubject: x\r\n\r\nbody\r\n"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Append_EmptyOrGarbageBody_400_NothingAppended(string what, byte[] body)
    {
        var user = MailEnvironment.NewUser("append-400");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);

        var response = await AppendSupport.PostAsync(client, "inbox", body, key: "k-" + what.Replace(' ', '-'));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(0, await AppendSupport.CountAsync(user, "INBOX"));

        // Validation failures bind nothing: the key is still free for a good request.
        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(client, "inbox", AppendSupport.Generated("good@example.test"), key: "k-" + what.Replace(' ', '-'))).StatusCode);
    }

    public static TheoryData<string> BadKeys => ["del\u007f", new string('k', 256), "tab\there", "non-ascii-ü", "line\u0001"];

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Append_BadIdempotencyKey_400_NothingAppended(string key)
    {
        var user = MailEnvironment.NewUser("append-key");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);

        using var request = new HttpRequestMessage(HttpMethod.Post, AppendSupport.Url("inbox")) { Content = new ByteArrayContent(AppendSupport.Generated("key@example.test")) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(key)));
        var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(0, await AppendSupport.CountAsync(user, "INBOX"));
    }

    [Theory]
    [InlineData("seen=")]
    [InlineData("seen=maybe")]
    [InlineData("flagged=2")]
    public async Task Append_BadFlagValue_400_NothingAppended(string query)
    {
        var user = MailEnvironment.NewUser("append-flag");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);

        var response = await AppendSupport.PostAsync(client, "inbox", AppendSupport.Generated("flag@example.test"), query);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(0, await AppendSupport.CountAsync(user, "INBOX"));
    }

    [Fact]
    public async Task Append_BadMailboxIdOrOtherAccount_4xx_AndUnauthenticated401()
    {
        var user = MailEnvironment.NewUser("append-ids");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var bytes = AppendSupport.Generated("ids@example.test");

        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "not%20an%20id", bytes), HttpStatusCode.BadRequest, "validation-failed");
        await ProblemAssert.IsProblemAsync(
            await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/accounts/someone-else/mailboxes/inbox/messages") { Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("message/rfc822") } } }),
            HttpStatusCode.NotFound,
            "account-not-found");
        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(app.CreateClient(), "inbox", bytes), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(0, await AppendSupport.CountAsync(user, "INBOX"));
    }

    [Fact]
    public async Task MaxAppendBytes_Invalid_StopsTheGatewayAtStart()
    {
        await using var app = new GatewayApplication(s => s["Messages:MaxAppendBytes"] = "0");
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("MaxAppendBytes", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A stream without a length, so the client sends the body chunked.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Append;

/// <summary>
/// "An APPEND is never duplicated by a retry": the fault proxy cuts the gateway's IMAP connection at the worst moments
/// (after the message was sent, after the server's OK), the first request fails retryably, and a retry with the same
/// Idempotency-Key answers 201 with the message stored exactly once.
/// </summary>
public sealed class AppendFaultTests
{
    public static TheoryData<string> Cuts => ["after-ok", "after-literal", "literal-unfinished", "before-append", "after-summary-fetch"];

    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task Append_ConnectionCut_RetryWithSameKey_201_MessageStoredExactlyOnce(string cut)
    {
        var user = MailEnvironment.NewUser("fault");
        await using var proxy = FaultProxy.Start();
        await using var app = new GatewayApplication(s => s["Imap:Port"] = proxy.Port.ToString(CultureInfo.InvariantCulture));
        var (client, _, _) = await app.LoginAsync(user);
        var messageId = $"fault-{cut}-{Guid.NewGuid():N}@example.test";
        var bytes = AppendSupport.Generated(messageId, bodyLines: 200);
        var key = Guid.NewGuid().ToString();
        var rule = cut switch
        {
            "after-ok" => proxy.CutAfterResponse(FaultProxy.Command("APPEND")),
            "after-literal" => proxy.CutAfterClientLiteral(FaultProxy.Command("APPEND")),
            "literal-unfinished" => proxy.CutAfterClientLiteral(FaultProxy.Command("APPEND"), withCommandEnd: false),
            "before-append" => proxy.CutBeforeCommand(FaultProxy.Command("APPEND")),
            _ => proxy.CutAfterResponse(FaultProxy.Command("UID FETCH")),
        };

        var failed = await AppendSupport.PostAsync(client, "inbox", bytes, "flagged=true", key);
        Assert.True(rule.Fired, "the proxy cut: " + string.Join(" | ", proxy.Commands));
        var problem = await ProblemAssert.IsProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.True(problem.GetProperty("retryable").GetBoolean());

        var retry = await AppendSupport.PostAsync(client, "inbox", bytes, "flagged=true", key);
        var body = await retry.Content.ReadAsStringAsync();
        Assert.True(retry.StatusCode == HttpStatusCode.Created, $"{(int)retry.StatusCode} {body}");
        var summary = JsonDocument.Parse(body).RootElement;
        Assert.True(summary.GetProperty("flagged").GetBoolean());
        Assert.Equal(messageId, summary.GetProperty("messageId").GetString());

        var stored = await AppendSupport.FindByBytesAsync(user, "INBOX", bytes);
        Assert.Equal([summary.GetProperty("uid").GetUInt32()], stored);
        Assert.Single(await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId));

        // The proxy saw the APPEND sent once when the server had it, twice when it did not.
        var appends = proxy.Commands.Count(c => c.Contains(" APPEND ", StringComparison.Ordinal));
        Assert.True(cut is "after-ok" or "after-summary-fetch" ? appends == 1 : appends is 1 or 2, string.Join(" | ", proxy.Commands));

        // And a third request with the key replays the answer.
        var again = await AppendSupport.PostAsync(client, "inbox", bytes, "flagged=true", key);
        Assert.Equal(body, await again.Content.ReadAsStringAsync());
        Assert.Single(await AppendSupport.FindByBytesAsync(user, "INBOX", bytes));
    }

    [Fact]
    public async Task Append_ConnectionCutAfterOk_WithoutKey_FailsRetryably_AndIsNotRetriedByThePool()
    {
        var user = MailEnvironment.NewUser("fault-nokey");
        await using var proxy = FaultProxy.Start();
        await using var app = new GatewayApplication(s => s["Imap:Port"] = proxy.Port.ToString(CultureInfo.InvariantCulture));
        var (client, _, _) = await app.LoginAsync(user);
        var bytes = AppendSupport.Generated($"nokey-{Guid.NewGuid():N}@example.test");
        proxy.CutAfterResponse(FaultProxy.Command("APPEND"));

        var failed = await AppendSupport.PostAsync(client, "inbox", bytes);

        await ProblemAssert.IsProblemAsync(failed, HttpStatusCode.ServiceUnavailable, "upstream-unavailable");
        Assert.Equal(1, proxy.Commands.Count(c => c.Contains(" APPEND ", StringComparison.Ordinal)));
        Assert.Single(await AppendSupport.FindByBytesAsync(user, "INBOX", bytes));
    }
}

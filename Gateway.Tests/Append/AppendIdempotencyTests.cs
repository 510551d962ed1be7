using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Append;

/// <summary>Idempotency-Key on APPEND: a retried request answers the first result and never appends twice, in Redis
/// (across instances) and in process (one instance); a key reused for another request is 422.</summary>
public sealed class AppendIdempotencyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Append_SameKeyTwice_OneMessage_SameAnswer(bool redis)
    {
        var user = MailEnvironment.NewUser("idem");
        await using var app = new GatewayApplication(useRedis: redis);
        var (client, _, _) = await app.LoginAsync(user);
        var messageId = $"idem-{Guid.NewGuid():N}@example.test";
        var bytes = AppendSupport.Generated(messageId);
        var key = "key-" + Guid.NewGuid();

        var first = await AppendSupport.PostAsync(client, "inbox", bytes, "seen=true", key);
        var firstBody = await first.Content.ReadAsStringAsync();
        var second = await AppendSupport.PostAsync(client, "inbox", bytes, "seen=true", key);
        var secondBody = await second.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(firstBody, secondBody);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId));

        // The same message without a key, or with another key, is a new request.
        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(client, "inbox", bytes, "seen=true", "other-" + key)).StatusCode);
        Assert.Equal(2, (await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId)).Count);
    }

    [Fact]
    public async Task Append_SameKeyDifferentRequest_422_NothingAppended()
    {
        var user = MailEnvironment.NewUser("idem-reuse");
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync(user);
        var key = "reuse-" + Guid.NewGuid();
        var bytes = AppendSupport.Generated($"reuse-{Guid.NewGuid():N}@example.test");
        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(client, "inbox", bytes, null, key)).StatusCode);

        var otherBody = AppendSupport.Generated($"reuse-{Guid.NewGuid():N}@example.test");
        var problem = await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "inbox", otherBody, null, key), (HttpStatusCode)422, "idempotency-key-reused");
        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "inbox", bytes, "flagged=true", key), (HttpStatusCode)422, "idempotency-key-reused");
        await ProblemAssert.IsProblemAsync(await AppendSupport.PostAsync(client, "drafts", bytes, null, key), (HttpStatusCode)422, "idempotency-key-reused");

        Assert.Equal(1, await AppendSupport.CountAsync(user, "INBOX"));
        Assert.Equal(0, await AppendSupport.CountAsync(user, "Drafts"));
    }

    [Fact]
    public async Task Append_SameKeyOnTwoInstancesSharingRedis_OneMessage_SameAnswer()
    {
        var user = MailEnvironment.NewUser("idem-two");
        await using var one = new GatewayApplication();
        await using var two = new GatewayApplication();
        var (clientOne, _, _) = await one.LoginAsync(user);
        var (clientTwo, _, _) = await two.LoginAsync(user);
        var messageId = $"two-{Guid.NewGuid():N}@example.test";
        var bytes = AppendSupport.Generated(messageId);
        var key = Guid.NewGuid().ToString();

        var first = await AppendSupport.PostAsync(clientOne, "inbox", bytes, "flagged=true", key);
        var second = await AppendSupport.PostAsync(clientTwo, "inbox", bytes, "flagged=true", key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Single(await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId));
    }

    [Fact]
    public async Task Append_ConcurrentRequestsWithOneKey_OneMessage_OthersReplayOrAreToldToRetry()
    {
        var user = MailEnvironment.NewUser("idem-race");
        await using var one = new GatewayApplication();
        await using var two = new GatewayApplication();
        var (clientOne, _, _) = await one.LoginAsync(user);
        var (clientTwo, _, _) = await two.LoginAsync(user);
        var messageId = $"race-{Guid.NewGuid():N}@example.test";
        var bytes = AppendSupport.Generated(messageId, bodyLines: 20_000); // ~1 MB: the APPEND takes a moment
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => AppendSupport.PostAsync(i % 2 == 0 ? clientOne : clientTwo, "inbox", bytes, null, key)));

        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        var bodies = await Task.WhenAll(created.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        foreach (var busy in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            var problem = await ProblemAssert.IsProblemAsync(busy, HttpStatusCode.Conflict, "idempotency-key-in-use");
            Assert.True(problem.GetProperty("retryable").GetBoolean());
            Assert.NotNull(busy.Headers.RetryAfter);
        }

        Assert.Single(await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId));

        // Once the first finished, a retry answers its result.
        var retry = await AppendSupport.PostAsync(clientTwo, "inbox", bytes, null, key);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(bodies[0], await retry.Content.ReadAsStringAsync());
        Assert.Single(await AppendSupport.FindByMessageIdAsync(user, "INBOX", messageId));
    }

    [Fact]
    public async Task Append_KeyIsScopedPerAccount()
    {
        var alice = MailEnvironment.NewUser("idem-a");
        var bob = MailEnvironment.NewUser("idem-b");
        await using var app = new GatewayApplication();
        var (clientA, _, _) = await app.LoginAsync(alice);
        var (clientB, _, _) = await app.LoginAsync(bob);
        var key = Guid.NewGuid().ToString();

        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(clientA, "inbox", AppendSupport.Generated("a@x"), null, key)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await AppendSupport.PostAsync(clientB, "inbox", AppendSupport.Generated("b@x"), null, key)).StatusCode);
        Assert.Equal(1, await AppendSupport.CountAsync(alice, "INBOX"));
        Assert.Equal(1, await AppendSupport.CountAsync(bob, "INBOX"));
    }
}

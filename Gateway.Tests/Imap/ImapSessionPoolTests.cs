using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Gateway.Tests.Imap;

/// <summary>The pool against the real local Dovecot; every test owns a fresh <c>t-*</c> user.</summary>
public sealed class ImapSessionPoolTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ExecuteAsync_FiftyConcurrentCallsForOneAccount_NeverExceedsCapOnPoolOrServer()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { MaxConnectionsPerAccount = 5, AcquireTimeout = TimeSpan.FromSeconds(30) });
        int maxOpen = 0, maxLeased = 0, maxServer = 0, serverSamples = 0;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var stats = pool.GetStats(account.Key);
                maxOpen = Math.Max(maxOpen, stats.OpenConnections);
                maxLeased = Math.Max(maxLeased, stats.LeasedConnections);
                maxServer = Math.Max(maxServer, await ImapTestServer.CountServerConnectionsAsync(account.Username));
                serverSamples++;
            }
        });

        var calls = Enumerable.Range(0, 50).Select(i => pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                await lease.Client.NoOpAsync(ct);
                await Task.Delay(40, ct);
                await lease.Client.Inbox.StatusAsync(StatusItems.Count, ct);
                return i;
            },
            ImapOperationOptions.Default,
            CancellationToken.None));
        int[] results = await Task.WhenAll(calls);
        await done.CancelAsync();
        await sampler;

        Assert.Equal(Enumerable.Range(0, 50), results);
        var final = pool.GetStats(account.Key);
        output.WriteLine($"logins {final.Logins}, max open {maxOpen}, max leased {maxLeased}, max on server {maxServer} in {serverSamples} samples");
        Assert.Equal(50, final.Leases);
        Assert.InRange(final.Logins, 1, 5);
        Assert.InRange(maxOpen, 1, 5);
        Assert.InRange(maxLeased, 1, 5);
        Assert.True(serverSamples >= 3, $"only {serverSamples} server-side samples");
        Assert.InRange(maxServer, 1, 5);
        Assert.Equal(final.OpenConnections, await ImapTestServer.CountServerConnectionsAsync(account.Username));
        Assert.Equal(50, final.Commands("NOOP"));
    }

    [Fact]
    public async Task ExecuteAsync_ConnectionKilledOnServer_RetriesOnFreshConnectionWithoutError()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { HealthCheckAfter = TimeSpan.FromHours(1) });
        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);

        await ImapTestServer.KickAsync(account.Username);
        int messages = await pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                await lease.Client.Inbox.StatusAsync(StatusItems.Count, ct);
                return lease.Client.Inbox.Count;
            },
            ImapOperationOptions.Default,
            CancellationToken.None);

        Assert.Equal(0, messages);
        var stats = pool.GetStats(account.Key);
        Assert.Equal(2, stats.Logins);
        Assert.Equal(1, stats.ConnectionsDiscarded);
        Assert.Equal(1, stats.OpenConnections);
        Assert.Equal(1, await ImapTestServer.WaitForServerConnectionsAsync(account.Username, 1));
    }

    [Fact]
    public async Task ExecuteAsync_NotRetryableOnKilledConnection_ThrowsGatewayErrorAndDiscards()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { HealthCheckAfter = TimeSpan.FromHours(1) });
        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);
        await ImapTestServer.KickAsync(account.Username);

        var error = await Assert.ThrowsAnyAsync<GatewayException>(
            () => pool.ExecuteAsync(account, Noop, ImapOperationOptions.NotRetryable, CancellationToken.None));

        Assert.True(error is UpstreamProtocolException or UpstreamUnavailableException, error.GetType().Name);
        Assert.Equal(1, pool.GetStats(account.Key).ConnectionsDiscarded);
        Assert.Equal(0, pool.GetStats(account.Key).OpenConnections);
    }

    [Fact]
    public async Task AcquireAsync_KilledConnectionDueForHealthCheck_HandsOutFreshConnection()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { HealthCheckAfter = TimeSpan.Zero });
        await (await pool.AcquireAsync(account, null, CancellationToken.None)).DisposeAsync();
        await ImapTestServer.KickAsync(account.Username);

        await using var lease = await pool.AcquireAsync(account, null, CancellationToken.None);

        Assert.True(lease.IsFresh);
        await lease.Client.NoOpAsync();
        var stats = pool.GetStats(account.Key);
        Assert.Equal(1, stats.ConnectionsDiscarded);
        Assert.Equal(2, stats.Commands("NOOP"));
    }

    [Fact]
    public async Task SweepIdleAsync_PastIdleTimeout_LogsOutIdleConnectionsOnServer()
    {
        var account = ImapTestServer.NewAccount();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var pool = ImapTestServer.Pool(new PoolOptions { IdleTimeout = TimeSpan.FromMinutes(5) }, clock);
        var first = await pool.AcquireAsync(account, null, CancellationToken.None);
        var second = await pool.AcquireAsync(account, null, CancellationToken.None);
        await first.DisposeAsync();
        await second.DisposeAsync();
        Assert.Equal(2, await ImapTestServer.WaitForServerConnectionsAsync(account.Username, 2));

        clock.Advance(TimeSpan.FromMinutes(4));
        await pool.SweepIdleAsync();
        Assert.Equal(2, pool.GetStats(account.Key).OpenConnections);

        clock.Advance(TimeSpan.FromMinutes(2));
        await pool.SweepIdleAsync();

        var stats = pool.GetStats(account.Key);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(0, stats.ConnectionsDiscarded);
        Assert.Equal(2, stats.Commands("LOGOUT"));
        Assert.Equal(0, await ImapTestServer.WaitForServerConnectionsAsync(account.Username, 0));
    }

    [Fact]
    public async Task AcquireAsync_OnlyConnectionLeasedPastAcquireTimeout_ThrowsUnavailableWithRetryAfter()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions
        {
            MaxConnectionsPerAccount = 1,
            AcquireTimeout = TimeSpan.FromMilliseconds(200),
        });
        await using var held = await pool.AcquireAsync(account, null, CancellationToken.None);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<UpstreamUnavailableException>(
            () => pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None));

        Assert.True(error.RetryAfter > TimeSpan.Zero);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(3));
        Assert.Equal(1, pool.GetStats(account.Key).OpenConnections);
        Assert.Equal(1, pool.GetStats(account.Key).Logins);
    }

    [Fact]
    public async Task ExecuteAsync_CallerCancelsMidCommand_ReturnsAtOnceAndConnectionStaysPooled()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var caller = new CancellationTokenSource();
        var sinceCancel = new Stopwatch();
        using var registration = caller.Token.Register(sinceCancel.Start);
        var call = pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                await lease.OpenMailboxAsync("INBOX", FolderAccess.ReadOnly, ct);
                using var done = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                caller.CancelAfter(TimeSpan.FromMilliseconds(100));
                await lease.Client.IdleAsync(done.Token, ct); // IDLE is in flight when the caller leaves
                finished.SetResult();
                return true;
            },
            ImapOperationOptions.Default,
            caller.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(sinceCancel.Elapsed < TimeSpan.FromMilliseconds(300), $"caller waited {sinceCancel.Elapsed} after cancelling");
        Assert.False(finished.Task.IsCompleted);

        await finished.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => pool.GetStats(account.Key).LeasedConnections == 0);
        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);

        var stats = pool.GetStats(account.Key);
        Assert.Equal(0, stats.ConnectionsDiscarded);
        Assert.Equal(1, stats.Logins);
        Assert.Equal(1, stats.OpenConnections);
        Assert.Equal(1, stats.Commands("IDLE"));
    }

    [Fact]
    public async Task OpenMailboxAsync_SameMailboxTwiceOnOneLeaseAndAcrossLeases_SendsOneSelect()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        await using (var lease = await pool.AcquireAsync(account, "INBOX", CancellationToken.None))
        {
            var first = await lease.OpenMailboxAsync("INBOX", FolderAccess.ReadWrite, CancellationToken.None);
            var second = await lease.OpenMailboxAsync("inbox", FolderAccess.ReadWrite, CancellationToken.None);
            await lease.OpenMailboxAsync("INBOX", FolderAccess.ReadOnly, CancellationToken.None);
            Assert.Same(first, second);
            Assert.Equal("INBOX", lease.SelectedMailbox);
        }

        await using (var lease = await pool.AcquireAsync(account, "INBOX", CancellationToken.None))
        {
            Assert.False(lease.IsFresh);
            var folder = await lease.OpenMailboxAsync("INBOX", FolderAccess.ReadWrite, CancellationToken.None);
            Assert.True(folder.IsOpen);
        }

        var stats = pool.GetStats(account.Key);
        Assert.Equal(1, stats.Commands("SELECT"));
        Assert.Equal(0, stats.Commands("EXAMINE"));
    }

    [Fact]
    public async Task OpenMailboxAsync_ReadOnlyThenReadWrite_UpgradesWithSelect()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        await using var lease = await pool.AcquireAsync(account, null, CancellationToken.None);

        await lease.OpenMailboxAsync("Sent", FolderAccess.ReadOnly, CancellationToken.None);
        await lease.OpenMailboxAsync("Sent", FolderAccess.ReadOnly, CancellationToken.None);
        var folder = await lease.OpenMailboxAsync("Sent", FolderAccess.ReadWrite, CancellationToken.None);

        Assert.Equal(FolderAccess.ReadWrite, folder.Access);
        var stats = pool.GetStats(account.Key);
        Assert.Equal(1, stats.Commands("EXAMINE"));
        Assert.Equal(1, stats.Commands("SELECT"));
    }

    [Fact]
    public async Task AcquireAsync_PreferredMailbox_PicksConnectionThatHasItSelected()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        var sentLease = await pool.AcquireAsync(account, null, CancellationToken.None);
        var inboxLease = await pool.AcquireAsync(account, null, CancellationToken.None);
        await sentLease.OpenMailboxAsync("Sent", FolderAccess.ReadOnly, CancellationToken.None);
        await inboxLease.OpenMailboxAsync("INBOX", FolderAccess.ReadOnly, CancellationToken.None);
        var sentClient = sentLease.Client;
        var inboxClient = inboxLease.Client;
        await sentLease.DisposeAsync();
        await inboxLease.DisposeAsync(); // most recently returned: the default pick

        await using (var lease = await pool.AcquireAsync(account, "Sent", CancellationToken.None))
        {
            Assert.Same(sentClient, lease.Client);
            Assert.Equal("Sent", lease.SelectedMailbox);
            await lease.OpenMailboxAsync("Sent", FolderAccess.ReadOnly, CancellationToken.None);
        }

        var stats = pool.GetStats(account.Key);
        Assert.Equal(2, stats.Commands("EXAMINE"));
        Assert.Equal(2, stats.Logins);
        Assert.Equal(3, stats.Leases);
        Assert.NotSame(sentClient, inboxClient);
    }

    [Fact]
    public async Task ExecuteAsync_PreferredMailboxOption_RunsOnConnectionWithItSelected()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        var trashLease = await pool.AcquireAsync(account, null, CancellationToken.None);
        var otherLease = await pool.AcquireAsync(account, null, CancellationToken.None);
        await trashLease.OpenMailboxAsync("Trash", FolderAccess.ReadOnly, CancellationToken.None);
        var trashClient = trashLease.Client;
        await trashLease.DisposeAsync();
        await otherLease.DisposeAsync();

        var used = await pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                await lease.OpenMailboxAsync("Trash", FolderAccess.ReadOnly, ct);
                return lease.Client;
            },
            new ImapOperationOptions(Mailbox: "Trash"),
            CancellationToken.None);

        Assert.Same(trashClient, used);
        Assert.Equal(1, pool.GetStats(account.Key).Commands("EXAMINE"));
    }

    [Fact]
    public async Task ExecuteAsync_VariousCommands_CountsCommandsByNameAndBytes()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();

        await pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                await lease.Client.NoOpAsync(ct);
                await lease.Client.NoOpAsync(ct);
                await (await lease.Client.GetFolderAsync("Sent", ct)).StatusAsync(StatusItems.Count | StatusItems.UidNext, ct);
                var inbox = await lease.OpenMailboxAsync("INBOX", FolderAccess.ReadOnly, ct);
                await inbox.SearchAsync(MailKit.Search.SearchQuery.All, ct);
                await inbox.FetchAsync(UniqueIdRange.All, MessageSummaryItems.Flags, ct);
                return 0;
            },
            ImapOperationOptions.Default,
            CancellationToken.None);

        var stats = pool.GetStats(account.Key);
        Assert.Equal(1, stats.Commands("AUTHENTICATE"));
        Assert.Equal(1, stats.Commands("ENABLE"));
        Assert.Equal(2, stats.Commands("NOOP"));
        Assert.Equal(1, stats.Commands("STATUS"));
        Assert.Equal(1, stats.Commands("EXAMINE"));
        Assert.Equal(1, stats.Commands("UID SEARCH"));
        Assert.Equal(1, stats.Commands("UID FETCH"));
        Assert.True(stats.BytesRead > 500, $"{stats.BytesRead} bytes");
        Assert.DoesNotContain(stats.CommandsByName.Keys, name => name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase));
        Assert.All(stats.CommandsByName.Keys, name => Assert.Matches("^[A-Z][A-Z0-9-]*( [A-Z][A-Z0-9-]*)?$", name));
    }

    [Fact]
    public async Task VerifyLoginAsync_ValidCredentials_ReturnsCapabilitiesAndQuotaAndPoolsConnection()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();

        var info = await pool.VerifyLoginAsync(account, CancellationToken.None);

        Assert.True(info.Capabilities.Qresync);
        Assert.True(info.Capabilities.Condstore);
        Assert.True(info.Capabilities.Sort);
        Assert.True(info.Capabilities.SpecialUse);
        Assert.False(info.Capabilities.ObjectId);
        Assert.NotNull(info.Quota);
        Assert.Equal(1024L * 1024 * 1024, info.Quota.LimitBytes);
        Assert.Equal(0, info.Quota.UsedBytes);
        var stats = pool.GetStats(account.Key);
        Assert.Equal(1, stats.OpenConnections);
        Assert.Equal(0, stats.LeasedConnections);

        await using var lease = await pool.AcquireAsync(account, null, CancellationToken.None);
        Assert.False(lease.IsFresh);
        Assert.Equal(1, pool.GetStats(account.Key).Logins);
    }

    [Fact]
    public async Task VerifyLoginAsync_AccountAtCap_ProvesCredentialsWithoutExceedingCap()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { MaxConnectionsPerAccount = 2 });
        var first = await pool.AcquireAsync(account, null, CancellationToken.None);
        var second = await pool.AcquireAsync(account, null, CancellationToken.None);

        await pool.VerifyLoginAsync(account, CancellationToken.None); // all leased: a separate connection, logged out
        Assert.Equal(2, pool.GetStats(account.Key).OpenConnections);

        await first.DisposeAsync();
        await second.DisposeAsync();
        await pool.VerifyLoginAsync(account, CancellationToken.None); // two idle: the oldest makes room

        var stats = pool.GetStats(account.Key);
        Assert.Equal(4, stats.Logins);
        Assert.Equal(2, stats.OpenConnections);
        Assert.Equal(2, await ImapTestServer.WaitForServerConnectionsAsync(account.Username, 2));
    }

    [Fact]
    public async Task VerifyLoginAsync_WrongPassword_ThrowsUpstreamAuthentication()
    {
        var account = ImapTestServer.NewAccount(password: "wrong-password");
        await using var pool = ImapTestServer.Pool(factory: ImapTestServer.Factory());

        await Assert.ThrowsAsync<UpstreamAuthenticationException>(() => pool.VerifyLoginAsync(account, CancellationToken.None));

        var stats = pool.GetStats(account.Key);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(0, stats.Logins);
    }

    [Fact]
    public async Task ExecuteAsync_ServerDown_ThrowsUpstreamUnavailable()
    {
        var account = ImapTestServer.NewAccount(port: 1);
        await using var pool = ImapTestServer.Pool();

        var error = await Assert.ThrowsAsync<UpstreamUnavailableException>(
            () => pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None));

        Assert.True(error.RetryAfter > TimeSpan.Zero);
        Assert.Equal(0, pool.GetStats(account.Key).OpenConnections);
    }

    [Fact]
    public async Task EvictAsync_IdleAndLeasedConnections_ClosesIdleNowAndLeasedOnReturn()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        var held = await pool.AcquireAsync(account, null, CancellationToken.None);
        await (await pool.AcquireAsync(account, null, CancellationToken.None)).DisposeAsync();

        await pool.EvictAsync(account.Key, CancellationToken.None);
        Assert.Equal(1, pool.GetStats(account.Key).OpenConnections);
        await held.Client.NoOpAsync(); // still usable until returned
        await held.DisposeAsync();
        await held.DisposeAsync(); // second dispose is harmless

        var stats = pool.GetStats(account.Key);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(0, stats.ConnectionsDiscarded);
        Assert.Equal(0, await ImapTestServer.WaitForServerConnectionsAsync(account.Username, 0));
    }

    [Fact]
    public async Task AcquireAsync_GlobalCapReached_ClosesLeastRecentlyUsedIdleConnectionOfAnotherAccount()
    {
        var alice = ImapTestServer.NewAccount();
        var bob = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { MaxConnections = 2 });
        var a1 = await pool.AcquireAsync(alice, null, CancellationToken.None);
        var a2 = await pool.AcquireAsync(alice, null, CancellationToken.None);
        await a1.DisposeAsync();
        await a2.DisposeAsync();

        await using (await pool.AcquireAsync(bob, null, CancellationToken.None))
        {
            Assert.Equal(1, pool.GetStats(alice.Key).OpenConnections);
            Assert.Equal(1, pool.GetStats(bob.Key).OpenConnections);
        }

        Assert.Equal(1, await ImapTestServer.WaitForServerConnectionsAsync(alice.Username, 1));
    }

    [Fact]
    public async Task AcquireAsync_GlobalCapReachedAllLeased_WaitsForCapacity()
    {
        var alice = ImapTestServer.NewAccount();
        var bob = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool(new PoolOptions { MaxConnections = 1, AcquireTimeout = TimeSpan.FromSeconds(5) });
        var held = await pool.AcquireAsync(alice, null, CancellationToken.None);

        var waiting = pool.AcquireAsync(bob, null, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await held.DisposeAsync();

        await using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsFresh);
        Assert.Equal(0, pool.GetStats(alice.Key).OpenConnections);
    }

    [Fact]
    public async Task ExecuteAsync_ServerAnswersNo_PassesImapCommandExceptionAndKeepsConnection()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();

        await Assert.ThrowsAsync<ImapCommandException>(() => pool.ExecuteAsync(
            account,
            async (lease, ct) =>
            {
                // Only an admin may change quotas: Dovecot answers SETQUOTA with NO.
                return await lease.Client.Inbox.SetQuotaAsync(messageLimit: null, storageLimit: 10, ct);
            },
            ImapOperationOptions.Default,
            CancellationToken.None));
        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);

        var stats = pool.GetStats(account.Key);
        Assert.Equal(0, stats.ConnectionsDiscarded);
        Assert.Equal(1, stats.Logins);
        Assert.Equal(1, stats.Commands("SETQUOTA"));
    }

    [Fact]
    public async Task ExecuteAsync_Commands_ReportedToMeterWithCommandTag()
    {
        var account = ImapTestServer.NewAccount();
        await using var pool = ImapTestServer.Pool();
        var measured = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, pool.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            measured.AddOrUpdate(key, value, (_, n) => n + value);
        });
        listener.Start();

        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);
        await pool.ExecuteAsync(account, Noop, ImapOperationOptions.Default, CancellationToken.None);
        listener.RecordObservableInstruments();

        Assert.Equal(2, measured.GetValueOrDefault($"{ImapMetricNames.Commands}|{ImapMetricNames.CommandTag}=NOOP"));
        Assert.Equal(1, measured.GetValueOrDefault(ImapMetricNames.Logins));
        Assert.Equal(2, measured.GetValueOrDefault(ImapMetricNames.Leases));
        Assert.True(measured.GetValueOrDefault(ImapMetricNames.BytesRead) > 0);
    }

    private static async Task<bool> Noop(ImapLease lease, CancellationToken cancellationToken)
    {
        await lease.Client.NoOpAsync(cancellationToken);
        return true;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in 5 s");
            await Task.Delay(10);
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Core.Errors;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Imap;

/// <summary>
/// The process-wide pool of authenticated IMAP connections (register as a singleton).
/// </summary>
/// <remarks>
/// <para>Per account (<see cref="ImapAccountKey"/>) at most <see cref="PoolOptions.MaxConnectionsPerAccount"/>
/// connections are open, leased plus idle; each lease or connection being opened holds one slot of the account's
/// semaphore, so waiting callers queue on it (FIFO-ish) for up to <see cref="PoolOptions.AcquireTimeout"/>. Process-wide
/// at most <see cref="PoolOptions.MaxConnections"/> are open: when full, the least recently used idle connection of any
/// account is closed to make room, else the caller waits for capacity.</para>
/// <para>Idle connections are logged out after <see cref="PoolOptions.IdleTimeout"/> by a timer of the injected
/// <see cref="TimeProvider"/>. Account entries (and their counters) are dropped once they have had no connection for
/// <see cref="StatsRetention"/> or the idle timeout, whichever is longer.</para>
/// </remarks>
public sealed partial class ImapSessionPool : IImapSessionPool, IAsyncDisposable
{
    /// <summary>How long an account without connections keeps its entry and counters.</summary>
    public static readonly TimeSpan StatsRetention = TimeSpan.FromHours(1);

    private static readonly TimeSpan LogoutTimeout = TimeSpan.FromSeconds(2);

    private readonly IImapClientFactory _factory;
    private readonly PoolOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ImapSessionPool> _logger;
    private readonly ImapMetrics _metrics;
    private readonly object _lock = new();
    private readonly Dictionary<ImapAccountKey, AccountPool> _accounts = [];
    private readonly ConcurrentDictionary<long, Task> _closing = new();
    private readonly ITimer _sweepTimer;
    private TaskCompletionSource _capacityFreed = NewSignal();
    private long _nextConnectionId;
    private int _openTotal;
    private int _leasedTotal;
    private int _sweeping;
    private bool _disposed;

    /// <summary>Creates the pool and starts its idle sweep.</summary>
    /// <param name="factory">Opens the connections.</param>
    /// <param name="options">Caps and timeouts.</param>
    /// <param name="timeProvider">Clock and timers (idle eviction, acquire timeout); <c>FakeTimeProvider</c> in tests.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="meterFactory">Creates the <see cref="ImapMetricNames.MeterName"/> meter; null: a private meter.</param>
    public ImapSessionPool(
        IImapClientFactory factory,
        IOptions<PoolOptions> options,
        TimeProvider timeProvider,
        ILogger<ImapSessionPool> logger,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _factory = factory;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = new ImapMetrics(meterFactory);
        _metrics.ObserveGauges(() => Volatile.Read(ref _openTotal), () => Volatile.Read(ref _leasedTotal));
        var period = TimeSpan.FromTicks(Math.Clamp(_options.IdleTimeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerSecond * 30));
        _sweepTimer = _timeProvider.CreateTimer(static state => ((ImapSessionPool)state!).OnSweepTimer(), this, period, period);
    }

    /// <summary>The meter the pool reports to (for tests that listen to it).</summary>
    internal Meter Meter => _metrics.Meter;

    /// <inheritdoc />
    public ValueTask<ImapLease> AcquireAsync(ImapAccount account, string? preferredMailbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        return AcquireCoreAsync(account, preferredMailbox, forceFresh: false, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ImapServerInfo> VerifyLoginAsync(ImapAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var pool = Enter(account.Key);
        if (!pool.Slots.Wait(0, CancellationToken.None))
        {
            // Every slot is leased: prove the credentials on a connection of its own and log it out again rather
            // than wait for a busy pool. The pool stays within its cap; the server briefly sees one connection more.
            try
            {
                return await VerifyUnpooledAsync(account, pool, cancellationToken);
            }
            finally
            {
                Leave(pool);
            }
        }

        long started = _timeProvider.GetTimestamp();
        using var deadline = new CancellationTokenSource(_options.AcquireTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var lease = await LeaseWithSlotAsync(account, pool, null, forceFresh: true, started, deadline, linked.Token, cancellationToken);
        await using (lease)
        {
            try
            {
                return await ImapServerInfoReader.ReadAsync(lease.Client, cancellationToken);
            }
            catch (Exception ex) when (ImapErrors.Translate(ex, account.Key) is { } translated)
            {
                lease.Discard();
                throw translated;
            }
        }
    }

    /// <inheritdoc />
    public ImapAccountStats GetStats(ImapAccountKey key)
    {
        lock (_lock)
        {
            return _accounts.TryGetValue(key, out var pool)
                ? pool.Snapshot()
                : new ImapAccountStats(0, 0, 0, 0, 0, 0, new Dictionary<string, long>());
        }
    }

    /// <inheritdoc />
    public async Task EvictAsync(ImapAccountKey key, CancellationToken cancellationToken)
    {
        List<PooledImapConnection> idle;
        lock (_lock)
        {
            if (!_accounts.TryGetValue(key, out var pool))
            {
                return;
            }

            idle = [.. pool.Idle];
            foreach (var connection in idle)
            {
                RemoveLocked(connection);
            }

            foreach (var connection in pool.Connections)
            {
                connection.CloseOnReturn = true;
            }

            _logger.Evicting(key, idle.Count, pool.Connections.Count);
        }

        await Task.WhenAll(idle.Select(c => CloseAsync(c, logout: true, discarded: false, "evicted"))).WaitAsync(cancellationToken);
    }

    /// <summary>Logs out every connection idle for at least <see cref="PoolOptions.IdleTimeout"/> and waits for all
    /// closes in progress. The timer calls it; tests call it after advancing a fake clock.</summary>
    internal async Task SweepIdleAsync()
    {
        var now = _timeProvider.GetUtcNow();
        List<PooledImapConnection> expired = [];
        lock (_lock)
        {
            List<ImapAccountKey>? prune = null;
            foreach (var pool in _accounts.Values)
            {
                foreach (var connection in pool.Idle)
                {
                    if (now - connection.LastReturned >= _options.IdleTimeout)
                    {
                        expired.Add(connection);
                    }
                }

                if (pool.Connections.Count == 0 && pool.Opening == 0 && pool.Users == 0
                    && now - pool.LastActivity >= (StatsRetention > _options.IdleTimeout ? StatsRetention : _options.IdleTimeout))
                {
                    (prune ??= []).Add(pool.Key);
                }
            }

            foreach (var connection in expired)
            {
                RemoveLocked(connection);
            }

            foreach (var key in prune ?? [])
            {
                _accounts.Remove(key, out var pool);
                pool?.Dispose();
            }
        }

        foreach (var connection in expired)
        {
            _ = CloseAsync(connection, logout: true, discarded: false, "idle timeout");
        }

        await Task.WhenAll(_closing.Values);
    }

    /// <summary>Stops the sweep, logs out idle connections; leased ones are closed when returned.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PooledImapConnection> idle = [];
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var pool in _accounts.Values)
            {
                idle.AddRange(pool.Idle);
                foreach (var connection in pool.Connections)
                {
                    connection.CloseOnReturn = true;
                }
            }

            foreach (var connection in idle)
            {
                RemoveLocked(connection);
            }
        }

        await _sweepTimer.DisposeAsync();
        await Task.WhenAll(idle.Select(c => CloseAsync(c, logout: true, discarded: false, "pool disposed")));
        await Task.WhenAll(_closing.Values);
        _metrics.Dispose();
    }

    /// <summary>Returns a lease's connection to the pool, or closes it.</summary>
    internal async ValueTask ReturnAsync(ImapLease lease)
    {
        var connection = lease.Connection;
        var pool = connection.Owner;
        bool broken = lease.DiscardRequested || !connection.Client.IsConnected;
        bool close;
        lock (_lock)
        {
            connection.IsLeased = false;
            _leasedTotal--;
            close = broken || connection.CloseOnReturn || _disposed;
            if (close)
            {
                RemoveLocked(connection);
            }
            else
            {
                connection.LastReturned = _timeProvider.GetUtcNow();
                pool.Idle.Add(connection);
                SignalCapacityLocked();
            }

            pool.LastActivity = _timeProvider.GetUtcNow();
        }

        try
        {
            if (close)
            {
                // Close before freeing the slot, so the server never sees more than the cap.
                await CloseAsync(connection, logout: !broken, discarded: broken, broken ? "failed or unsafe to reuse" : "evicted");
            }
        }
        finally
        {
            pool.Slots.Release();
            Leave(pool);
        }
    }

    private async ValueTask<ImapLease> AcquireCoreAsync(
        ImapAccount account, string? preferredMailbox, bool forceFresh, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        long started = _timeProvider.GetTimestamp();
        string? preferred = preferredMailbox is null ? null : ImapLease.NormalizeMailbox(preferredMailbox);
        var pool = Enter(account.Key);
        using var deadline = new CancellationTokenSource(_options.AcquireTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await pool.Slots.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Leave(pool);
            throw Saturated(account.Key);
        }
        catch
        {
            Leave(pool);
            throw;
        }

        return await LeaseWithSlotAsync(account, pool, preferred, forceFresh, started, deadline, linked.Token, cancellationToken);
    }

    /// <summary>Hands out a connection to a caller holding one of <paramref name="pool"/>'s slots; on failure releases
    /// the slot and leaves the account.</summary>
    private async ValueTask<ImapLease> LeaseWithSlotAsync(
        ImapAccount account,
        AccountPool pool,
        string? preferred,
        bool forceFresh,
        long started,
        CancellationTokenSource deadline,
        CancellationToken waitToken,
        CancellationToken callerToken)
    {
        try
        {
            while (true)
            {
                PooledImapConnection? idle = null;
                lock (_lock)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    if (!forceFresh)
                    {
                        idle = pool.TakeIdle(preferred);
                        if (idle is not null)
                        {
                            idle.IsLeased = true;
                            _leasedTotal++;
                        }
                    }
                }

                if (idle is null)
                {
                    return await OpenLeaseAsync(account, pool, started, deadline, waitToken, callerToken);
                }

                if (await IsHealthyAsync(idle, deadline.Token))
                {
                    pool.CountLease(_timeProvider.GetElapsedTime(started));
                    return new ImapLease(this, idle, account, isFresh: false);
                }

                lock (_lock)
                {
                    idle.IsLeased = false;
                    _leasedTotal--;
                    RemoveLocked(idle);
                }

                await CloseAsync(idle, logout: false, discarded: true, "health check failed");
                if (deadline.IsCancellationRequested)
                {
                    throw Saturated(account.Key);
                }
            }
        }
        catch
        {
            pool.Slots.Release();
            Leave(pool);
            throw;
        }
    }

    /// <summary>Opens a new connection for a caller that holds one of <paramref name="pool"/>'s slots.</summary>
    private async ValueTask<ImapLease> OpenLeaseAsync(
        ImapAccount account,
        AccountPool pool,
        long started,
        CancellationTokenSource deadline,
        CancellationToken waitToken,
        CancellationToken callerToken)
    {
        while (true)
        {
            List<PooledImapConnection> toClose = [];
            Task? capacityFreed = null;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);

                // Own idle connections first (only present when a fresh connection was asked for).
                while (pool.Connections.Count + pool.Opening >= _options.MaxConnectionsPerAccount && pool.Idle.Count > 0)
                {
                    var oldest = pool.Idle[0];
                    RemoveLocked(oldest);
                    toClose.Add(oldest);
                }

                if (_openTotal >= _options.MaxConnections && TryTakeGlobalLeastRecentlyUsedLocked() is { } victim)
                {
                    _logger.GlobalCapEviction(victim.Owner.Key, victim.Id, account.Key);
                    toClose.Add(victim);
                }

                if (_openTotal < _options.MaxConnections)
                {
                    _openTotal++;
                    pool.Opening++;
                }
                else
                {
                    capacityFreed = _capacityFreed.Task;
                }
            }

            // Log out what had to go before logging in anew, so the server never sees more than the caps.
            await Task.WhenAll(toClose.Select(c => CloseAsync(c, logout: true, discarded: false, "making room")));

            if (capacityFreed is null)
            {
                return await ConnectAsync(account, pool, started, callerToken);
            }

            try
            {
                await capacityFreed.WaitAsync(waitToken);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !callerToken.IsCancellationRequested)
            {
                throw Saturated(account.Key);
            }
        }
    }

    private async Task<ImapLease> ConnectAsync(ImapAccount account, AccountPool pool, long started, CancellationToken cancellationToken)
    {
        ImapClient client;
        long connectStarted = _timeProvider.GetTimestamp();
        try
        {
            client = await _factory.ConnectAsync(account, pool, cancellationToken);
        }
        catch
        {
            lock (_lock)
            {
                pool.Opening--;
                _openTotal--;
                SignalCapacityLocked();
            }

            pool.CountLoginFailure();
            throw;
        }

        var connection = new PooledImapConnection(Interlocked.Increment(ref _nextConnectionId), client, pool, _timeProvider.GetUtcNow())
        {
            IsLeased = true,
        };
        lock (_lock)
        {
            pool.Opening--;
            pool.Connections.Add(connection);
            _leasedTotal++;
        }

        pool.CountLogin();
        pool.CountLease(_timeProvider.GetElapsedTime(started));
        _logger.ConnectionOpened(account.Key, connection.Id, _timeProvider.GetElapsedTime(connectStarted).TotalMilliseconds);
        return new ImapLease(this, connection, account, isFresh: true);
    }

    private async Task<bool> IsHealthyAsync(PooledImapConnection connection, CancellationToken cancellationToken)
    {
        if (!connection.Client.IsConnected)
        {
            _logger.HealthCheckFailed(connection.Owner.Key, connection.Id, "disconnected");
            return false;
        }

        if (_timeProvider.GetUtcNow() - connection.LastReturned <= _options.HealthCheckAfter)
        {
            return true;
        }

        try
        {
            await connection.Client.NoOpAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ImapErrors.IsConnectionFailure(ex) || ex is TimeoutException or OperationCanceledException or ImapCommandException)
        {
            _logger.HealthCheckFailed(connection.Owner.Key, connection.Id, ex.GetType().Name);
            return false;
        }
    }

    private async Task<ImapServerInfo> VerifyUnpooledAsync(ImapAccount account, AccountPool pool, CancellationToken cancellationToken)
    {
        ImapClient client;
        try
        {
            client = await _factory.ConnectAsync(account, pool, cancellationToken);
        }
        catch
        {
            pool.CountLoginFailure();
            throw;
        }

        pool.CountLogin();
        using (client)
        {
            try
            {
                return await ImapServerInfoReader.ReadAsync(client, cancellationToken);
            }
            catch (Exception ex) when (ImapErrors.Translate(ex, account.Key) is { } translated)
            {
                throw translated;
            }
            finally
            {
                if (client.IsConnected)
                {
                    using var logout = new CancellationTokenSource(LogoutTimeout);
                    try
                    {
                        await client.DisconnectAsync(true, logout.Token);
                    }
                    catch (Exception ex) when (ImapErrors.IsConnectionFailure(ex) || ex is TimeoutException or OperationCanceledException)
                    {
                        _logger.LogoutFailed(account.Key, 0, ex.GetType().Name);
                    }
                }

                pool.CountClosed(discarded: false);
            }
        }
    }

    /// <summary>Logs out (best effort) and disposes a connection already removed from the pool's books.</summary>
    private Task CloseAsync(PooledImapConnection connection, bool logout, bool discarded, string reason)
    {
        var task = CloseCoreAsync(connection, logout, discarded, reason);
        if (!task.IsCompleted)
        {
            _closing[connection.Id] = task;
            _ = task.ContinueWith(
                (_, state) => ((ConcurrentDictionary<long, Task>)state!).TryRemove(connection.Id, out Task? _),
                _closing,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return task;
    }

    private async Task CloseCoreAsync(PooledImapConnection connection, bool logout, bool discarded, string reason)
    {
        var key = connection.Owner.Key;
        try
        {
            if (logout && connection.Client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(LogoutTimeout);
                await connection.Client.DisconnectAsync(true, timeout.Token);
            }
        }
        catch (Exception ex) when (ImapErrors.IsConnectionFailure(ex) || ex is TimeoutException or OperationCanceledException
            or ImapCommandException or InvalidOperationException)
        {
            _logger.LogoutFailed(key, connection.Id, ex.GetType().Name);
        }
        finally
        {
            connection.Client.Dispose();
            connection.Owner.CountClosed(discarded);
            if (discarded)
            {
                _logger.ConnectionDiscarded(key, connection.Id, reason);
            }
            else
            {
                _logger.ConnectionClosed(key, connection.Id, reason);
            }
        }
    }

    /// <summary>Removes a connection (idle or being returned) from the books; the caller closes it.</summary>
    private void RemoveLocked(PooledImapConnection connection)
    {
        var pool = connection.Owner;
        pool.Idle.Remove(connection);
        if (pool.Connections.Remove(connection))
        {
            _openTotal--;
        }

        SignalCapacityLocked();
    }

    private PooledImapConnection? TryTakeGlobalLeastRecentlyUsedLocked()
    {
        PooledImapConnection? victim = null;
        foreach (var pool in _accounts.Values)
        {
            if (pool.Idle.Count > 0 && (victim is null || pool.Idle[0].LastReturned < victim.LastReturned))
            {
                victim = pool.Idle[0];
            }
        }

        if (victim is not null)
        {
            RemoveLocked(victim);
        }

        return victim;
    }

    private void SignalCapacityLocked()
    {
        var freed = _capacityFreed;
        _capacityFreed = NewSignal();
        freed.TrySetResult();
    }

    private AccountPool Enter(ImapAccountKey key)
    {
        lock (_lock)
        {
            if (!_accounts.TryGetValue(key, out var pool))
            {
                pool = new AccountPool(key, _options.MaxConnectionsPerAccount, _metrics, _timeProvider.GetUtcNow());
                _accounts.Add(key, pool);
            }

            pool.Users++;
            pool.LastActivity = _timeProvider.GetUtcNow();
            return pool;
        }
    }

    private void Leave(AccountPool pool)
    {
        lock (_lock)
        {
            pool.Users--;
        }
    }

    private UpstreamUnavailableException Saturated(ImapAccountKey key)
    {
        _logger.AcquireTimedOut(key, _options.AcquireTimeout);
        return new UpstreamUnavailableException(
            $"No IMAP connection for {key.Username} became free within {_options.AcquireTimeout.TotalSeconds:0.###} s.",
            ImapErrors.PoolSaturatedRetryAfter);
    }

    private void OnSweepTimer()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        _ = SweepFromTimerAsync();
    }

    private async Task SweepFromTimerAsync()
    {
        try
        {
            await SweepIdleAsync();
        }
        catch (Exception ex)
        {
            _logger.SweepFailed(ex);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

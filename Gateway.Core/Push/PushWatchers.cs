using System.Collections.Concurrent;
using Gateway.Core.Accounts;
using Gateway.Core.Imap;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Push;

/// <summary>
/// One <see cref="AccountWatcher"/> per account that has subscribers, in the whole cluster: not one per subscriber
/// (browser tab) nor one per instance.
/// </summary>
/// <remarks>
/// <para>Each instance with subscribers of an account runs a small keeper loop for it that, every
/// <see cref="RenewInterval"/>: marks the account as wanted (a shared key living <see cref="LeaseDuration"/>), and
/// contends for the account's watcher lease. The lease holder runs the watcher; it keeps it while any instance wants
/// the account, so subscribers on other instances are served by its events through the bus. When nobody has wanted the
/// account for <see cref="PushOptions.WatcherGrace"/>, the watcher stops and the lease is released. If the holder dies,
/// its lease expires and another wanting instance takes over.</para>
/// <para>Without Redis the store is in process and so is all of this. At most <see cref="PushOptions.MaxWatchers"/>
/// watchers run per instance.</para>
/// </remarks>
public sealed partial class PushWatchers : IHostedService, IDisposable
{
    private readonly IImapClientFactory _factory;
    private readonly IImapSessionPool _pool;
    private readonly IEventBus _bus;
    private readonly IMessageCacheStore _cache;
    private readonly MailboxSynchronizer _synchronizer;
    private readonly MailboxFreshness _freshness;
    private readonly IKeyValueStore _store;
    private readonly IOptions<PushOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    public PushWatchers(
        IImapClientFactory factory,
        IImapSessionPool pool,
        IEventBus bus,
        IMessageCacheStore cache,
        MailboxSynchronizer synchronizer,
        MailboxFreshness freshness,
        IKeyValueStore store,
        IOptions<PushOptions> options,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        _factory = factory;
        _pool = pool;
        _bus = bus;
        _cache = cache;
        _synchronizer = synchronizer;
        _freshness = freshness;
        _store = store;
        _options = options;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<PushWatchers>();
    }

    /// <summary>How long a lease or a "wanted" mark lives unless renewed.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);

    /// <summary>How often keepers renew.</summary>
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(5);

    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, Keeper> _keepers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private int _running;

    /// <summary>Watchers running in this instance.</summary>
    public int RunningWatchers => Volatile.Read(ref _running);

    /// <summary>Registers a subscriber of <paramref name="session"/>'s account; dispose the result when it leaves.</summary>
    public IAsyncDisposable Attach(AccountSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        while (true)
        {
            var keeper = _keepers.GetOrAdd(session.AccountId, id => new Keeper(this, id));
            if (keeper.TryAttach(session.Account))
            {
                return new Detacher(keeper);
            }

            // That keeper was ending as we came: a new one takes over.
        }
    }

    /// <summary>True when a watcher of <paramref name="accountId"/> is watching, in this instance or another.</summary>
    public async Task<bool> IsWatchedAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_keepers.TryGetValue(accountId, out var keeper) && keeper.Watching)
        {
            return true;
        }

        try
        {
            return await _store.GetAsync(WatchingKey(accountId), null, cancellationToken) is not null;
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }

    /// <summary>True while this instance has a keeper for <paramref name="accountId"/> (tests).</summary>
    public bool HasWatcher(string accountId) => _keepers.TryGetValue(accountId, out var keeper) && keeper.HasWatcher;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        await Task.WhenAll(_keepers.Values.Select(k => k.Completion)).WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    public void Dispose() => _stopping.Dispose();

    private static string LeaseKey(string accountId) => $"watch:lease:{accountId}";

    private static string WantedKey(string accountId) => $"watch:wanted:{accountId}";

    private static string WatchingKey(string accountId) => $"watch:on:{accountId}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Watcher of account {AccountId} started in this instance")]
    private partial void LogStarted(string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watcher of account {AccountId} stopped in this instance")]
    private partial void LogStopped(string accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not watching account {AccountId}: {Count} watchers already run here (Push:MaxWatchers)")]
    private partial void LogAtCap(string accountId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The keeper of account {AccountId} failed; it retries")]
    private partial void LogKeeperFailed(Exception exception, string accountId);

    private sealed class Detacher(Keeper keeper) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                keeper.Detach();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>This instance's part for one account: its subscribers, its claim on the lease, its watcher.</summary>
    private sealed class Keeper : IDisposable
    {
        private readonly PushWatchers _owner;
        private readonly string _accountId;
        private readonly object _gate = new();
        private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
        private ImapAccount? _account;
        private int _subscribers;
        private DateTimeOffset _lastWanted;
        private bool _ended;
        private AccountWatcher? _watcher;
        private CancellationTokenSource? _watcherStop;
        private Task _watcherTask = Task.CompletedTask;

        public Keeper(PushWatchers owner, string accountId)
        {
            _owner = owner;
            _accountId = accountId;
            _lastWanted = owner._time.GetUtcNow();
            Completion = Task.Run(RunAsync);
        }

        public Task Completion { get; }

        public void Dispose() => _wake.Dispose();

        public bool Watching => _watcher?.Watching == true;

        public bool HasWatcher => _watcher is not null;

        public bool TryAttach(ImapAccount account)
        {
            lock (_gate)
            {
                if (_ended)
                {
                    return false;
                }

                _subscribers++;
                _account = account;
                _lastWanted = _owner._time.GetUtcNow();
            }

            _wake.Release();
            return true;
        }

        public void Detach()
        {
            lock (_gate)
            {
                _subscribers--;
                _lastWanted = _owner._time.GetUtcNow();
            }

            _wake.Release();
        }

        private async Task RunAsync()
        {
            var stopping = _owner._stopping.Token;
            var options = _owner._options.Value;
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    try
                    {
                        if (!await TickAsync(options, stopping))
                        {
                            return;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
                    {
                        _owner.LogKeeperFailed(ex, _accountId);
                    }

                    try
                    {
                        await _wake.WaitAsync(NextWait(options), stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
            finally
            {
                await StopWatcherAsync();
                try
                {
                    await _owner._store.ReleaseLeaseAsync(LeaseKey(_accountId), _owner._instance, CancellationToken.None);
                }
                catch (StoreUnavailableException)
                {
                    // It expires on its own.
                }

                _owner._keepers.TryRemove(new KeyValuePair<string, Keeper>(_accountId, this));
                Dispose();
            }
        }

        /// <summary>One round; false when this keeper is done (nobody wants the account any more).</summary>
        private async Task<bool> TickAsync(PushOptions options, CancellationToken stopping)
        {
            var store = _owner._store;
            var now = _owner._time.GetUtcNow();
            int subscribers;
            DateTimeOffset lastWanted;
            ImapAccount? account;
            lock (_gate)
            {
                subscribers = _subscribers;
                lastWanted = _lastWanted;
                account = _account;
            }

            var wantedHere = subscribers > 0 || now - lastWanted < options.WatcherGrace;
            if (!wantedHere)
            {
                // Keep watching for subscribers of other instances, if any still mark the account wanted.
                if (HasWatcher && await store.GetAsync(WantedKey(_accountId), null, stopping) is not null
                    && await store.TryLeaseAsync(LeaseKey(_accountId), _owner._instance, LeaseDuration, stopping))
                {
                    await MarkWatchingAsync(stopping);
                    return true;
                }

                lock (_gate)
                {
                    if (_subscribers > 0)
                    {
                        return true; // someone attached meanwhile
                    }

                    _ended = true;
                }

                return false;
            }

            if (account is null)
            {
                return true;
            }

            if (!await store.TryLeaseAsync(LeaseKey(_accountId), _owner._instance, LeaseDuration, stopping))
            {
                // Another instance watches: tell it this one's subscribers still need its events.
                await StopWatcherAsync();
                await store.SetAsync(WantedKey(_accountId), "1"u8.ToArray(), LeaseDuration, stopping);
                return true;
            }

            if (_watcher is null)
            {
                if (_owner.RunningWatchers >= options.MaxWatchers)
                {
                    _owner.LogAtCap(_accountId, _owner.RunningWatchers);
                    await store.ReleaseLeaseAsync(LeaseKey(_accountId), _owner._instance, stopping);
                    return true;
                }

                StartWatcher(account, options);
            }

            await MarkWatchingAsync(stopping);
            return true;
        }

        /// <summary>Publishes "watched" once the watcher watches; until then, checks again soon.</summary>
        private async Task MarkWatchingAsync(CancellationToken stopping)
        {
            if (_watcher?.Watching == true)
            {
                await _owner._store.SetAsync(WatchingKey(_accountId), "1"u8.ToArray(), LeaseDuration, stopping);
            }
            else
            {
                await Task.Delay(50, stopping);
                _wake.Release();
            }
        }

        /// <summary>How long to sleep: until the next renewal, or until the grace period after the last subscriber
        /// ends, whichever comes first (attach and detach wake the keeper at once).</summary>
        private TimeSpan NextWait(PushOptions options)
        {
            lock (_gate)
            {
                if (_subscribers == 0)
                {
                    var left = options.WatcherGrace - (_owner._time.GetUtcNow() - _lastWanted);
                    if (left > TimeSpan.Zero && left < RenewInterval)
                    {
                        return left + TimeSpan.FromMilliseconds(10);
                    }
                }
            }

            return RenewInterval;
        }

        private void StartWatcher(ImapAccount account, PushOptions options)
        {
            var o = _owner;
            _watcher = new AccountWatcher(account, _accountId, o._factory, o._pool, o._bus, o._cache, o._synchronizer, o._freshness, options, o._loggers.CreateLogger<AccountWatcher>());
            _watcherStop = CancellationTokenSource.CreateLinkedTokenSource(o._stopping.Token);
            Interlocked.Increment(ref o._running);
            var watcher = _watcher;
            var stop = _watcherStop.Token;
            _watcherTask = Task.Run(async () =>
            {
                try
                {
                    await watcher.RunAsync(stop);
                }
                finally
                {
                    Interlocked.Decrement(ref o._running);
                }
            });
            o.LogStarted(_accountId);
        }

        private async Task StopWatcherAsync()
        {
            if (_watcher is null)
            {
                return;
            }

            await _watcherStop!.CancelAsync();
            await _watcherTask;
            _watcherStop.Dispose();
            _watcher = null;
            _watcherStop = null;
            try
            {
                await _owner._store.DeleteAsync(WatchingKey(_accountId), CancellationToken.None);
            }
            catch (StoreUnavailableException)
            {
            }

            _owner.LogStopped(_accountId);
        }
    }
}

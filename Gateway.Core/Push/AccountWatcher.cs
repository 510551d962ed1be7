using System.Diagnostics;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Push;

/// <summary>
/// Watches one account's mailboxes on a connection of its own (IDLE occupies it, PITFALLS 9) and publishes each
/// change as a <see cref="PushEvent"/>: the new state of every mailbox that changed.
/// </summary>
/// <remarks>
/// <para>With NOTIFY (RFC 5465) the server reports changes in every personal mailbox while the watcher IDLEs; without
/// it the watcher IDLEs on INBOX and leaves IDLE every <see cref="PushOptions.PollInterval"/>. Either way, when IDLE
/// ends the watcher reads every mailbox's state with one LIST-STATUS and publishes the differences, so what it
/// publishes is always the server's answer, never a guess from partial notifications.</para>
/// <para>Before publishing, it brings the header cache of each changed mailbox up to date (the listings' delta logic),
/// so a client that lists on the event finds the cache current. IDLE is re-issued within
/// <see cref="PushOptions.IdleRestart"/>; a lost connection is re-opened with exponential backoff.</para>
/// </remarks>
internal sealed partial class AccountWatcher(
    ImapAccount account,
    string accountId,
    IImapClientFactory factory,
    IImapSessionPool pool,
    IEventBus bus,
    IMessageCacheStore cache,
    MailboxSynchronizer synchronizer,
    MailboxFreshness freshness,
    PushOptions options,
    ILogger logger)
{
    private const StatusItems Items = StatusItems.UidValidity | StatusItems.UidNext | StatusItems.Count | StatusItems.HighestModSeq;

    /// <summary>A watcher that heard of no change renews its vouches this often (after a NOOP proved its connection
    /// alive); well inside <see cref="MailboxFreshness.VouchLifetime"/>.</summary>
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);

    /// <summary>Even with NOTIFY, every mailbox's state is re-read this often: a notification the server never sent
    /// (or one lost with a connection) costs at most this much freshness.</summary>
    private static readonly TimeSpan FullReadEvery = TimeSpan.FromSeconds(30);

    private Dictionary<string, (string Path, MailboxStates.State State)>? _known;
    private bool _allVouched;
    private long _lastRead;
    private long _lastRenew;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>True once the first LIST-STATUS is done and changes are being watched (tests wait for it).</summary>
    public bool Watching { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await WatchAsync(stop);
                delay = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Watching = false;
                LogWatcherFailed(ex, accountId, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
            }
        }
    }

    private async Task WatchAsync(CancellationToken stop)
    {
        using var client = await factory.ConnectAsync(account, null, stop);
        try
        {
            var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
            var notify = idle && client.Capabilities.HasFlag(ImapCapabilities.Notify);
            using var signal = new SignalSource();
            if (await ReadStatesAsync(client, signal, publish: _known is not null, stop) is { } missed)
            {
                // Changed while this watcher was reconnecting (its vouches were withdrawn when it lost the connection).
                await bus.PublishAsync(accountId, missed, stop);
            }

            if (notify)
            {
                await client.NotifyAsync(
                    status: false,
                    [
                        new ImapEventGroup(ImapMailboxFilter.Selected, [new ImapEvent.MessageNew(MessageSummaryItems.UniqueId), ImapEvent.MessageExpunge, ImapEvent.FlagChange]),
                        new ImapEventGroup(ImapMailboxFilter.Personal, [new ImapEvent.MessageNew(MessageSummaryItems.None), ImapEvent.MessageExpunge, ImapEvent.FlagChange, ImapEvent.MailboxName]),
                    ],
                    stop);
            }

            // MailKit IDLEs only with a mailbox selected. With NOTIFY, INBOX's changes come as EXISTS, EXPUNGE and FETCH
            // like any selected mailbox's; the others' as STATUS. Without it, only INBOX's come, and polling does the rest.
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly, stop);

            client.FolderCreated += signal.OnEvent;

            // Read once more, now with the write epochs of the mailboxes just listed, so vouching starts at once.
            await ReadAfterNoopAsync(client, signal, stop);
            Watching = true;
            LogWatching(accountId, notify ? "NOTIFY" : idle ? "IDLE on INBOX and polling" : "polling");
            while (!stop.IsCancellationRequested)
            {
                // IDLE until the server reports something (without NOTIFY: until the next poll), at most RenewEvery.
                var wait = notify ? Min(options.IdleRestart, options.NotifyCheckInterval) : options.PollInterval;
                using (var done = CancellationTokenSource.CreateLinkedTokenSource(stop, signal.Arm()))
                {
                    done.CancelAfter(wait);
                    if (idle)
                    {
                        await client.IdleAsync(done.Token, stop);
                    }
                    else
                    {
                        // No IDLE at all: poll.
                        await Task.Delay(Timeout.InfiniteTimeSpan, done.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
                        stop.ThrowIfCancellationRequested();
                    }
                }

                if (signal.Pending || !notify || !_allVouched || Stopwatch.GetElapsedTime(_lastRead) > FullReadEvery)
                {
                    signal.Disarm();
                    await ReadAfterNoopAsync(client, signal, stop);
                    continue;
                }

                // Nothing heard: prove the connection alive (a NOOP that reports nothing), then renew the vouches.
                await client.NoOpAsync(stop);
                var heard = signal.Pending;
                signal.Disarm();
                if (heard)
                {
                    await ReadAfterNoopAsync(client, signal, stop);
                }
                else if (_known is not null && Stopwatch.GetElapsedTime(_lastRenew) >= RenewEvery)
                {
                    await freshness.RenewAsync([.. _known.Keys], stop);
                    _lastRenew = Stopwatch.GetTimestamp();
                }
            }

            client.FolderCreated -= signal.OnEvent;
        }
        finally
        {
            Watching = false;
            await WithdrawAsync();
            if (client.IsConnected)
            {
                try
                {
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await client.DisconnectAsync(true, quick.Token);
                }
                catch (Exception ex) when (ex is IOException or ImapProtocolException or OperationCanceledException or ImapCommandException)
                {
                    // Closing anyway.
                }
            }
        }
    }

    /// <summary>Reads the write epochs (before anything of the server: a state read after a write can be vouched, one
    /// read before it cannot), brings INBOX's view up to date with NOOP (STATUS of the selected mailbox answers from
    /// it), then reads, refreshes, publishes and vouches.</summary>
    private async Task ReadAfterNoopAsync(ImapClient client, SignalSource signal, CancellationToken stop)
    {
        var ids = _known?.Keys.ToList();
        IReadOnlyList<long>? epochs = null;
        if (ids is not null)
        {
            try
            {
                epochs = await freshness.EpochsAsync(ids, stop);
            }
            catch (Storage.StoreUnavailableException)
            {
                // Redis is away: no vouching this round; listings check with IMAP.
            }
        }

        await client.NoOpAsync(stop);
        _lastRead = Stopwatch.GetTimestamp();
        var change = await ReadStatesAsync(client, signal, publish: true, stop);
        _allVouched = false;

        // Vouch the new states before telling anyone: a client that lists on the event must not meet the old vouch.
        await VouchAsync(ids, epochs, stop);
        if (change is not null)
        {
            await bus.PublishAsync(accountId, change, stop);
        }
    }

    private async Task VouchAsync(List<string>? ids, IReadOnlyList<long>? epochs, CancellationToken stop)
    {
        if (_known is null)
        {
            return;
        }

        if (ids is null || epochs is null)
        {
            // Not vouchable this round (first read, or Redis away): withdraw, so no old vouch outlives a change.
            await WithdrawAsync();
            return;
        }

        var vouches = new List<(string, long, ServerState)>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (_known.TryGetValue(ids[i], out var entry))
            {
                var state = entry.State;
                vouches.Add((ids[i], epochs[i], new ServerState(state.UidValidity, state.UidNext, state.HighestModSeq, state.Exists)));
            }
        }

        try
        {
            _allVouched = await freshness.VouchAsync(vouches, stop) == _known.Count;
        }
        catch (Storage.StoreUnavailableException)
        {
        }
    }

    private async Task WithdrawAsync()
    {
        if (_known is null)
        {
            return;
        }

        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await freshness.WithdrawAsync([.. _known.Keys], quick.Token);
        }
        catch (Exception ex) when (ex is Storage.StoreUnavailableException or OperationCanceledException)
        {
            // The vouches expire on their own.
        }
    }

    /// <summary>One LIST-STATUS of every mailbox; returns what differs from the last one (after refreshing the caches
    /// of the mailboxes that changed) and watches each folder's events.</summary>
    private async Task<PushChange?> ReadStatesAsync(ImapClient client, SignalSource signal, bool publish, CancellationToken stop)
    {
        var all = await client.GetFoldersAsync(client.PersonalNamespaces[0], Items, subscribedOnly: false, stop);
        var now = new Dictionary<string, (string Path, MailboxStates.State State)>(StringComparer.Ordinal);
        foreach (var folder in all)
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent))
            {
                continue;
            }

            signal.Watch(folder);
            var path = MailboxIds.NormalizePath(folder.FullName);
            now[MailboxIds.For(accountId, path)] = (path, new MailboxStates.State(folder.UidValidity, folder.UidNext?.Id ?? 0, folder.HighestModSeq, folder.Count));
        }

        var previous = _known;
        _known = now;
        if (!publish || previous is null)
        {
            return null;
        }

        var changed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, (path, state)) in now)
        {
            if (!previous.TryGetValue(id, out var before) || before.State != state)
            {
                await RefreshCacheAsync(id, path, state, stop);
                changed[id] = state.Token;
            }
        }

        var listChanged = now.Count != previous.Count || previous.Keys.Any(id => !now.ContainsKey(id));
        return changed.Count > 0 || listChanged ? new PushChange(changed, listChanged) : null;
    }

    /// <summary>Applies the change to the mailbox's header cache if it has one (best effort: a failure here only
    /// means the next listing fetches the delta itself).</summary>
    private async Task RefreshCacheAsync(string mailboxId, string path, MailboxStates.State state, CancellationToken stop)
    {
        try
        {
            var key = new MailboxCacheKey(mailboxId, state.UidValidity);
            var cached = (await cache.ReadAsync(key, ListOrder.Arrival, null, 0, 0, stop)).State;
            if (cached is null)
            {
                return;
            }

            var server = new ServerState(state.UidValidity, state.UidNext, state.HighestModSeq, state.Exists, System.Diagnostics.Stopwatch.GetTimestamp());
            if (!server.Matches(cached))
            {
                await pool.ExecuteAsync(
                    account,
                    (lease, ct) => synchronizer.RefreshAsync(lease, path, key, cached, server, ct),
                    new ImapOperationOptions(Mailbox: path),
                    stop);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRefreshFailed(ex.GetType().Name, mailboxId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching account {AccountId} with {Mode}")]
    private partial void LogWatching(string accountId, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watcher of account {AccountId} lost its connection; reconnecting in {Seconds} s")]
    private partial void LogWatcherFailed(Exception exception, string accountId, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Watcher could not refresh the header cache of mailbox {MailboxId} ({Error}); the next listing will")]
    private partial void LogRefreshFailed(string error, string mailboxId);

    /// <summary>Ends the current IDLE as soon as the server reports anything: MailKit raises these events while it
    /// reads responses, where no command may be sent (PITFALLS 10), so the handler only cancels a token.</summary>
    private sealed class SignalSource : IDisposable
    {
        private readonly HashSet<IMailFolder> _watched = [];
        private readonly EventHandler _onEvent;
        private CancellationTokenSource _current = new();
        private volatile bool _armed;
        private volatile bool _pending;

        public SignalSource() => _onEvent = OnEvent;

        /// <summary>True when something was reported since <see cref="Arm"/> (before IDLE started).</summary>
        public bool Pending => _pending;

        /// <summary>Starts listening (right before IDLE): the returned token is cancelled at the first report. Reports
        /// during the watcher's own commands are not listened to: what they carry is read right after them.</summary>
        public CancellationToken Arm()
        {
            if (_current.IsCancellationRequested)
            {
                _current.Dispose();
                _current = new CancellationTokenSource();
            }

            _pending = false;
            _armed = true;
            return _current.Token;
        }

        public void Disarm() => _armed = false;

        public void Watch(IMailFolder folder)
        {
            if (!_watched.Add(folder))
            {
                return;
            }

            FolderReports.Watch(folder, _onEvent, true);
        }

        public void OnEvent(object? sender, EventArgs e)
        {
            if (!_armed)
            {
                return;
            }

            _pending = true;
            try
            {
                _current.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            foreach (var folder in _watched)
            {
                FolderReports.Watch(folder, _onEvent, false);
            }

            _current.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Collections.Concurrent;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Search;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Fills a cold mailbox's header cache in the background, newest first, in batches of
/// <see cref="MessageCacheOptions.FillBatchSize"/>, on up to <see cref="MessageCacheOptions.FillConnections"/> pooled
/// connections, storing each chunk while the next batches are fetched. One fill per mailbox generation in the
/// process and, through a lease in the store, in the whole cluster. Listings do not wait for it: they answer from IMAP
/// what the cache does not cover yet, and the mailbox resource shows the progress.
/// </summary>
public sealed partial class MailboxFiller(
    IImapSessionPool pool,
    IMessageCacheStore store,
    CacheMetrics metrics,
    IOptions<MessageCacheOptions> options,
    ILogger<MailboxFiller> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(10);

    /// <summary>Fetched batches are stored together once they hold this many messages: fewer Redis round trips and
    /// block merges than one store per fetched batch, while few enough summaries wait to survive a gen0 collection
    /// (measured on bench B5: 100 made the fill wait for its stores, 1000 cost ~2 µs more CPU per header).</summary>
    private const int StoreChunk = 250;
    private const int MaxOpenAttempts = 16; // each dead pooled connection is discarded, so a fresh one comes soon
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<MailboxCacheKey, Task> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>True while this process fills <paramref name="key"/>.</summary>
    public bool IsFilling(MailboxCacheKey key) => _running.ContainsKey(key);

    /// <summary>Starts filling <paramref name="key"/> unless this process already does; returns at once.</summary>
    public void Start(ImapAccount account, string path, MailboxCacheKey key)
    {
        if (_stopping.IsCancellationRequested || _running.ContainsKey(key))
        {
            return;
        }

        var started = new TaskCompletionSource();
        var task = Task.Run(async () =>
        {
            await started.Task;
            try
            {
                await FillAsync(account, path, key, _stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException && _stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogFillFailed(ex, key.MailboxId);
            }
            finally
            {
                _running.TryRemove(key, out _);
            }
        });
        if (_running.TryAdd(key, task))
        {
            started.SetResult();
        }
        else
        {
            started.SetCanceled();
        }
    }

    /// <summary>Waits for the fill of <paramref name="key"/> running in this process, if any (tests, benchmarks).</summary>
    public Task WaitAsync(MailboxCacheKey key) => _running.TryGetValue(key, out var task) ? task : Task.CompletedTask;

    private async Task FillAsync(ImapAccount account, string path, MailboxCacheKey key, CancellationToken ct)
    {
        if (!await store.TryLeaseFillAsync(key, _owner, LeaseDuration, ct))
        {
            return;
        }

        var connections = new List<(ImapLease Lease, IMailFolder Folder)>();
        try
        {
            connections.Add(await OpenAsync(account, path, key, ct, ct));
            var (lease, folder) = connections[0];
            var client = lease.Client;

            var uidNext = folder.UidNext?.Id ?? 1;
            await store.CreateAsync(key, new CacheState(key.UidValidity, uidNext, folder.HighestModSeq, folder.Count, uidNext, 0), ct);
            var state = (await store.ReadAsync(key, ListOrder.Arrival, null, 0, 0, ct)).State;
            if (state is null || state.Complete)
            {
                return;
            }

            metrics.FillStarted();
            var floor = state.FillFloor;
            var uids = floor > 1 ? await folder.SearchAsync(SearchQuery.Uids(ImapMailbox.Range(1, floor - 1)), ct) : [];
            var request = SummaryFetch.RequestFor(client);
            var batches = Batches(uids, options.Value.FillBatchSize);
            var total = 0;
            var fillStarted = Stopwatch.GetTimestamp();
            TimeSpan waiting = TimeSpan.Zero, storeWaiting = TimeSpan.Zero;

            // Batch k is fetched (and mapped to summaries, so MailKit's ~5.6 KB of objects per message die young) on
            // connection k mod n; batches are stored strictly in order, newest first, each lowering the floor. Batch
            // k + n starts on a connection as soon as batch k is off it, and a chunk is stored while the next ones are
            // fetched, so every connection always has one batch in flight.
            var inFlight = new Task<List<MessageSummary>>?[batches.Count];
            Task<bool>? stored = null;
            void Launch(int k)
            {
                if (k < batches.Count)
                {
                    // On the thread pool: MailKit parses whatever the socket already holds before it yields, which
                    // would keep this loop from handing the other connections their next batch meanwhile.
                    var (folder, uids) = (connections[k % connections.Count].Folder, batches[k].Uids);
                    inFlight[k] = Task.Run(() => FetchAsync(folder, uids, request, ct), ct);
                }
            }

            try
            {
                // The first batch is on its way while further connections are taken (up to a second each).
                Launch(0);
                if (batches.Count > 1)
                {
                    await AddConnectionsAsync(account, path, key, connections, Math.Min(options.Value.FillConnections, batches.Count), ct);
                }

                for (var k = 1; k < connections.Count; k++)
                {
                    Launch(k);
                }

                List<MessageSummary>? pending = null;
                var lastRenewal = Stopwatch.GetTimestamp();
                for (var k = 0; k < batches.Count; k++)
                {
                    var waitStarted = Stopwatch.GetTimestamp();
                    var summaries = await inFlight[k]!;
                    inFlight[k] = null;
                    waiting += Stopwatch.GetElapsedTime(waitStarted);
                    Launch(k + connections.Count);

                    // Stored in chunks of StoreChunk: one read-merge-write per StoreChunk messages rather than per batch.
                    if (pending is null)
                    {
                        pending = summaries;
                    }
                    else
                    {
                        pending.InsertRange(0, summaries); // older UIDs first: the store keeps UID order
                    }

                    if (pending.Count < StoreChunk && k < batches.Count - 1)
                    {
                        continue;
                    }

                    // One chunk is stored while the connections fetch the next ones; chunks are stored strictly in
                    // order (each waits for the one before), so the floor only ever goes down over stored messages.
                    var storeWait = Stopwatch.GetTimestamp();
                    if (stored is not null && !await stored)
                    {
                        return; // the generation was dropped meanwhile
                    }

                    storeWaiting += Stopwatch.GetElapsedTime(storeWait);
                    var chunk = pending;
                    var chunkFloor = batches[k].Floor;
                    stored = Task.Run(() => StoreAsync(key, chunk, chunkFloor, ct), ct); // encoding included: off this loop
                    total += pending.Count;
                    pending = null;
                    if (Stopwatch.GetElapsedTime(lastRenewal) > LeaseRenewal)
                    {
                        await store.TryLeaseFillAsync(key, _owner, LeaseDuration, ct);
                        lastRenewal = Stopwatch.GetTimestamp();
                    }
                }

                if (stored is not null && !await stored)
                {
                    return;
                }
            }
            finally
            {
                // No connection goes back to the pool in the middle of a command, and no store outlives the fill.
                foreach (var running in inFlight.Append<Task?>(stored))
                {
                    if (running is not null)
                    {
                        await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }
                }
            }

            if (uids.Count == 0)
            {
                await store.ApplyAsync(key, new CacheChange([], [], null, 1), ct);
            }

            LogFilled(key.MailboxId, total, connections.Count, Stopwatch.GetElapsedTime(fillStarted).TotalSeconds, waiting.TotalSeconds, storeWaiting.TotalSeconds);
        }
        catch (UidValidityChangedException)
        {
            // The mailbox was recreated since the listing that started this fill: that generation's listing fills it.
        }
        catch (StoreUnavailableException)
        {
            // Redis went away: the next listing starts over from where the cache got.
        }
        finally
        {
            foreach (var (lease, _) in connections)
            {
                await lease.DisposeAsync();
            }

            try
            {
                await store.ReleaseFillAsync(key, _owner, CancellationToken.None);
            }
            catch (StoreUnavailableException)
            {
                // The lease expires on its own.
            }
        }
    }

    /// <summary>The UIDs in batches of at most <paramref name="size"/>, newest first, each with the floor the cache has
    /// once it is stored (its lowest UID; 1 for the oldest batch).</summary>
    private static List<(List<UniqueId> Uids, uint Floor)> Batches(IList<UniqueId> uids, int size)
    {
        var batches = new List<(List<UniqueId>, uint)>((uids.Count + size - 1) / size);
        for (var end = uids.Count; end > 0; end -= size)
        {
            var start = Math.Max(0, end - size);
            var batch = new List<UniqueId>(end - start);
            for (var i = start; i < end; i++)
            {
                batch.Add(uids[i]);
            }

            batches.Add((batch, start == 0 ? 1u : batch[0].Id));
        }

        return batches;
    }

    private async Task<bool> StoreAsync(MailboxCacheKey key, List<MessageSummary> summaries, uint floor, CancellationToken ct)
    {
        if (!await store.ApplyAsync(key, new CacheChange(summaries, [], null, floor), ct))
        {
            return false;
        }

        metrics.FilledMessages.Add(summaries.Count);
        return true;
    }

    private static async Task<List<MessageSummary>> FetchAsync(IMailFolder folder, List<UniqueId> uids, IFetchRequest request, CancellationToken ct) =>
        ImapMailbox.ToSummaries(await folder.FetchAsync(uids, request, ct));

    /// <summary>Adds pooled connections up to <paramref name="wanted"/>, each given at most a second: a busy pool
    /// keeps its connections for requests and the fill goes on with what it has.</summary>
    private async Task AddConnectionsAsync(ImapAccount account, string path, MailboxCacheKey key, List<(ImapLease, IMailFolder)> connections, int wanted, CancellationToken ct)
    {
        while (connections.Count < wanted)
        {
            using var quick = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quick.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                connections.Add(await OpenAsync(account, path, key, quick.Token, ct));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not UidValidityChangedException)
            {
                // Pool busy, connection refused, login throttled: fill on fewer connections.
                LogFewerConnections(ex.GetType().Name, key.MailboxId, connections.Count);
                return;
            }
        }
    }

    /// <summary>
    /// Leases a connection and examines the mailbox at the generation being filled. A pooled connection can be dead
    /// without the pool knowing (the server closes the sessions that had a mailbox selected when it is deleted, for
    /// one): then the connection is discarded and the next one tried, until a freshly opened connection answers or
    /// fails.
    /// </summary>
    /// <param name="acquire">Bounds only the wait for a connection: a command is never cancelled halfway (PITFALLS 3).</param>
    /// <exception cref="UidValidityChangedException">The mailbox is at another generation now.</exception>
    private async Task<(ImapLease Lease, IMailFolder Folder)> OpenAsync(ImapAccount account, string path, MailboxCacheKey key, CancellationToken acquire, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = await pool.AcquireAsync(account, path, acquire);
            try
            {
                var folder = await ImapMailbox.OpenAsync(lease, path, key.UidValidity, Stopwatch.GetTimestamp(), ct);
                return (lease, folder);
            }
            catch (Exception ex)
            {
                var dead = ImapErrors.IsConnectionFailure(ex);
                if (dead)
                {
                    lease.Discard();
                }

                await lease.DisposeAsync();
                if (!dead || lease.IsFresh || attempt == MaxOpenAttempts)
                {
                    throw;
                }
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // Stopped again after Dispose: a host started by app.Run() under WebApplicationFactory is stopped both by
            // the factory and by Run's own shutdown, which disposes the container meanwhile. Nothing left to stop.
            return;
        }

        await Task.WhenAll(_running.Values).WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Header cache of mailbox {MailboxId} filled: {Count} messages on {Connections} connections in {Seconds:0.00} s (waiting for fetched batches {FetchSeconds:0.00} s; for the previous store {StoreSeconds:0.00} s)")]
    private partial void LogFilled(string mailboxId, int count, int connections, double seconds, double fetchSeconds, double storeSeconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No further connection for filling mailbox {MailboxId} ({Error}); filling on {Connections}")]
    private partial void LogFewerConnections(string error, string mailboxId, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Filling the header cache of mailbox {MailboxId} failed; the next listing retries")]
    private partial void LogFillFailed(Exception exception, string mailboxId);
}

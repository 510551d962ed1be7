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
/// <see cref="MessageCacheOptions.FillBatchSize"/>, on one pooled connection. One fill per mailbox generation in the
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

        try
        {
            var (lease, folder) = await OpenAsync(account, path, key, ct);
            await using var _ = lease;
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
            var batchSize = options.Value.FillBatchSize;
            var total = 0;
            var dropped = false;
            var fillStarted = Stopwatch.GetTimestamp();
            TimeSpan fetching = TimeSpan.Zero, storing = TimeSpan.Zero;

            // Each batch is stored while the next one is fetched. The fetched batch is mapped to summaries before anything
            // else and then let go: MailKit's objects take ~5.6 KB per message (a 1000-message batch ~5.6 MB), and kept
            // alive through a store's Redis round trips they outlive collections and get copied up the generations.
            IList<IMessageSummary>? previous = null;
            uint previousFloor = 0;
            for (var end = uids.Count; end > 0 && !dropped; end -= batchSize)
            {
                var start = Math.Max(0, end - batchSize);
                var batch = new List<UniqueId>(end - start);
                for (var i = start; i < end; i++)
                {
                    batch.Add(uids[i]);
                }

                var next = folder.FetchAsync(batch, request, ct);
                if (previous is not null)
                {
                    var storeStarted = Stopwatch.GetTimestamp();
                    try
                    {
                        var summaries = ImapMailbox.ToSummaries(previous);
                        previous = null;
                        dropped = !await StoreAsync(summaries, previousFloor);
                    }
                    catch
                    {
                        // The connection goes back to the pool with this method: not in the middle of a command.
                        await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                        throw;
                    }

                    storing += Stopwatch.GetElapsedTime(storeStarted);
                }

                var fetchWaitStarted = Stopwatch.GetTimestamp();
                previous = await next;
                fetching += Stopwatch.GetElapsedTime(fetchWaitStarted);
                previousFloor = start == 0 ? 1u : batch[0].Id;
            }

            if (previous is not null && !dropped)
            {
                var storeStarted = Stopwatch.GetTimestamp();
                var summaries = ImapMailbox.ToSummaries(previous);
                previous = null;
                dropped = !await StoreAsync(summaries, previousFloor);
                storing += Stopwatch.GetElapsedTime(storeStarted);
            }

            if (dropped)
            {
                return;
            }

            if (uids.Count == 0)
            {
                await store.ApplyAsync(key, new CacheChange([], [], null, 1), ct);
            }

            LogFilled(key.MailboxId, total, Stopwatch.GetElapsedTime(fillStarted).TotalSeconds, fetching.TotalSeconds, storing.TotalSeconds);

            // Stores one batch and lowers the floor to it; false when the generation was dropped meanwhile.
            async Task<bool> StoreAsync(List<MessageSummary> summaries, uint newFloor)
            {
                if (!await store.ApplyAsync(key, new CacheChange(summaries, [], null, newFloor), ct))
                {
                    return false;
                }

                total += summaries.Count;
                metrics.FilledMessages.Add(summaries.Count);
                await store.TryLeaseFillAsync(key, _owner, LeaseDuration, ct);
                return true;
            }
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

    /// <summary>
    /// Leases a connection and examines the mailbox at the generation being filled. A pooled connection can be dead
    /// without the pool knowing (the server closes the sessions that had a mailbox selected when it is deleted, for
    /// one): then the connection is discarded and the next one tried, until a freshly opened connection answers or
    /// fails.
    /// </summary>
    /// <exception cref="UidValidityChangedException">The mailbox is at another generation now.</exception>
    private async Task<(ImapLease Lease, IMailFolder Folder)> OpenAsync(ImapAccount account, string path, MailboxCacheKey key, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = await pool.AcquireAsync(account, path, ct);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Header cache of mailbox {MailboxId} filled: {Count} messages in {Seconds:0.00} s (waiting for IMAP {FetchSeconds:0.00} s; mapping and storing, beside the next fetch, {StoreSeconds:0.00} s)")]
    private partial void LogFilled(string mailboxId, int count, double seconds, double fetchSeconds, double storeSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Filling the header cache of mailbox {MailboxId} failed; the next listing retries")]
    private partial void LogFillFailed(Exception exception, string mailboxId);
}

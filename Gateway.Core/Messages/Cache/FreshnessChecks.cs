using System.Collections.Concurrent;
using Gateway.Core.Imap;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Coalesces the freshness checks (NOOP + STATUS, or EXAMINE) of one mailbox: requests that arrive while a check is
/// running share the next one, which starts after they arrived. So every request still sees the server as it was after
/// it arrived (no change is hidden from a later request), but 64 concurrent listings of one mailbox cost a couple of
/// checks, not 64, and hold a pooled connection only for the check itself.
/// </summary>
public sealed class FreshnessChecks(IImapSessionPool pool)
{
    private readonly ConcurrentDictionary<(ImapAccountKey Account, string Path), Gate> _gates = new();

    /// <summary>The mailbox's state, from a check that started after this call.</summary>
    /// <exception cref="MailboxVanishedException">The mailbox does not exist under that name.</exception>
    public Task<ServerState> CheckAsync(ImapAccount account, string path, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd((account.Key, path), static _ => new Gate());
        TaskCompletionSource<ServerState> next;
        Task prior;
        lock (gate)
        {
            if (gate.Pending is { } pending)
            {
                return pending.Task.WaitAsync(cancellationToken);
            }

            next = new TaskCompletionSource<ServerState>(TaskCreationOptions.RunContinuationsAsynchronously);
            prior = gate.Last;
            gate.Pending = next;
            gate.Last = next.Task;
        }

        // The caller that starts a check awaits it directly: its continuation then runs on the thread that read the
        // server's answer, without the hop through the thread pool that waiting on the shared task would take (that
        // hop is a visible part of a cached page's latency when the gateway is idle). Joiners wait on the shared task.
        return AwaitAsync(RunAsync(gate, next, prior, account, path), cancellationToken);
    }

    private static async Task<ServerState> AwaitAsync(Task<ServerState> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !run.IsCompleted)
        {
            // Nobody awaits the check any more: observe its outcome so a failure is not an unobserved exception.
            _ = run.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private async Task<ServerState> RunAsync(Gate gate, TaskCompletionSource<ServerState> check, Task prior, ImapAccount account, string path)
    {
        try
        {
            await prior;
        }
        catch (Exception)
        {
            // The previous check's failure was reported to its own waiters.
        }

        lock (gate)
        {
            if (gate.Pending == check)
            {
                gate.Pending = null; // started: whoever comes now waits for a later check
            }
        }

        try
        {
            var state = await pool.ExecuteAsync(account, (lease, ct) => ImapMailbox.StatusAsync(lease, path, ct), new ImapOperationOptions(Mailbox: path), CancellationToken.None);
            check.SetResult(state);
            return state;
        }
        catch (Exception ex)
        {
            check.SetException(ex);
            _ = check.Task.Exception; // the starter gets it from this method; joiners, if any, from the task
            throw;
        }
    }

    private sealed class Gate
    {
        public TaskCompletionSource<ServerState>? Pending { get; set; }

        public Task Last { get; set; } = Task.CompletedTask;
    }
}

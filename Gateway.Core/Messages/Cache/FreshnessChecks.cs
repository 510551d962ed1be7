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

        _ = RunAsync(gate, next, prior, account, path);
        return next.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(Gate gate, TaskCompletionSource<ServerState> check, Task prior, ImapAccount account, string path)
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
        }
        catch (Exception ex)
        {
            check.SetException(ex);
        }
    }

    private sealed class Gate
    {
        public TaskCompletionSource<ServerState>? Pending { get; set; }

        public Task Last { get; set; } = Task.CompletedTask;
    }
}

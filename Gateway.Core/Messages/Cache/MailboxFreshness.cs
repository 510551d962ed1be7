using System.Collections.Concurrent;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// Server states vouched for by someone who would know of any change (a push watcher holding IDLE or NOTIFY on the
/// mailbox): while a vouch lasts, a listing takes the state from here and skips even the STATUS round trip. Nothing
/// vouches unless a watcher runs; then every listing checks with the server.
/// </summary>
public sealed class MailboxFreshness(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ServerState State, DateTimeOffset Until)> _vouched = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="state"/> is the mailbox's current state until <paramref name="until"/>
    /// (or until <see cref="Forget"/>).</summary>
    public void Vouch(string mailboxId, ServerState state, DateTimeOffset until) => _vouched[mailboxId] = (state, until);

    /// <summary>Withdraws a vouch (the watcher saw a change or lost its connection).</summary>
    public void Forget(string mailboxId) => _vouched.TryRemove(mailboxId, out _);

    /// <summary>The vouched state, if a vouch is still valid.</summary>
    public bool TryGet(string mailboxId, out ServerState state)
    {
        if (_vouched.TryGetValue(mailboxId, out var entry) && entry.Until > time.GetUtcNow())
        {
            state = entry.State;
            return true;
        }

        state = default;
        return false;
    }
}

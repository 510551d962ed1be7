using System.Collections.Concurrent;

namespace Gateway.Core.Imap;

/// <summary>The connections and counters of one <see cref="ImapAccountKey"/>.</summary>
/// <remarks>Lists and counts are guarded by the owning pool's lock; counters are lock-free.</remarks>
internal sealed class AccountPool : IImapCommandObserver, IDisposable
{
    private readonly ImapMetrics _metrics;
    private readonly ConcurrentDictionary<string, long> _commands = new(StringComparer.Ordinal);
    private long _logins;
    private long _loginFailures;
    private long _leases;
    private long _discarded;
    private long _bytesRead;

    public AccountPool(ImapAccountKey key, int maxConnections, ImapMetrics metrics, DateTimeOffset now)
    {
        Key = key;
        _metrics = metrics;
        Slots = new SemaphoreSlim(maxConnections, maxConnections);
        LastActivity = now;
    }

    public ImapAccountKey Key { get; }

    /// <summary>One slot per connection the account may use; a lease or a connection being opened holds one.</summary>
    public SemaphoreSlim Slots { get; }

    /// <summary>Idle connections, least recently returned first.</summary>
    public List<PooledImapConnection> Idle { get; } = [];

    /// <summary>Every open connection, idle or leased.</summary>
    public HashSet<PooledImapConnection> Connections { get; } = [];

    /// <summary>Connections being opened (counted against the caps).</summary>
    public int Opening { get; set; }

    /// <summary>Callers inside acquire/lease; the account is not pruned while non-zero.</summary>
    public int Users { get; set; }

    public DateTimeOffset LastActivity { get; set; }

    public int LeasedCount => Connections.Count - Idle.Count;

    public void OnCommand(string name)
    {
        _commands.AddOrUpdate(name, 1, static (_, n) => n + 1);
        _metrics.Commands.Add(1, new KeyValuePair<string, object?>(ImapMetricNames.CommandTag, name));
    }

    public void OnBytesRead(int count)
    {
        Interlocked.Add(ref _bytesRead, count);
        _metrics.BytesRead.Add(count);
    }

    public void CountLogin()
    {
        Interlocked.Increment(ref _logins);
        _metrics.Logins.Add(1);
        _metrics.ConnectionsOpened.Add(1);
    }

    public void CountLoginFailure()
    {
        Interlocked.Increment(ref _loginFailures);
        _metrics.LoginFailures.Add(1);
    }

    public void CountLease(TimeSpan waited)
    {
        Interlocked.Increment(ref _leases);
        _metrics.Leases.Add(1);
        _metrics.LeaseWait.Record(waited.TotalSeconds);
    }

    public void CountClosed(bool discarded)
    {
        _metrics.ConnectionsClosed.Add(1);
        if (discarded)
        {
            Interlocked.Increment(ref _discarded);
            _metrics.ConnectionsDiscarded.Add(1);
        }
    }

    /// <summary>Takes an idle connection: one with <paramref name="preferredMailbox"/> selected if any, else the most
    /// recently returned (keeps few connections warm and lets the rest age out).</summary>
    public PooledImapConnection? TakeIdle(string? preferredMailbox)
    {
        if (Idle.Count == 0)
        {
            return null;
        }

        int index = Idle.Count - 1;
        if (preferredMailbox is not null)
        {
            int match = Idle.FindLastIndex(c => string.Equals(c.SelectedMailbox, preferredMailbox, StringComparison.Ordinal));
            if (match >= 0)
            {
                index = match;
            }
        }

        var connection = Idle[index];
        Idle.RemoveAt(index);
        return connection;
    }

    public ImapAccountStats Snapshot() => new(
        Connections.Count,
        LeasedCount,
        Interlocked.Read(ref _logins),
        Interlocked.Read(ref _leases),
        Interlocked.Read(ref _discarded),
        Interlocked.Read(ref _bytesRead),
        new Dictionary<string, long>(_commands, StringComparer.Ordinal));

    public void Dispose() => Slots.Dispose();
}

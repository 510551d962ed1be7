using System.Collections.Concurrent;

namespace Gateway.Core.Storage;

/// <summary>In-process <see cref="IKeyValueStore"/>, used when no Redis is configured. Expiry follows the injected
/// <see cref="TimeProvider"/>; expired entries are dropped when read and by a sweep every few thousand writes.</summary>
public sealed class MemoryKeyValueStore(TimeProvider timeProvider) : IKeyValueStore
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _writes;

    public bool IsDistributed => false;

    public Task<byte[]?> GetAsync(string key, TimeSpan? slideTo, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (!TryGetLive(key, now, out var entry))
        {
            return Task.FromResult<byte[]?>(null);
        }

        if (slideTo is { } ttl)
        {
            _entries.TryUpdate(key, entry with { ExpiresAt = now + ttl }, entry);
        }

        return Task.FromResult<byte[]?>(entry.Value);
    }

    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        _entries[key] = new Entry(value.ToArray(), 0, timeProvider.GetUtcNow() + timeToLive);
        MaybeSweep();
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryRemove(key, out _));

    public Task<(long Value, TimeSpan TimeToLive)> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var updated = _entries.AddOrUpdate(
            key,
            _ => new Entry(null, 1, now + timeToLive),
            (_, old) => old.ExpiresAt <= now ? new Entry(null, 1, now + timeToLive) : old with { Counter = old.Counter + 1 });
        MaybeSweep();
        return Task.FromResult((updated.Counter, updated.ExpiresAt - now));
    }

    public Task<(long Value, TimeSpan TimeToLive)> GetCounterAsync(string key, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return Task.FromResult(TryGetLive(key, now, out var entry) ? (entry.Counter, entry.ExpiresAt - now) : (0L, TimeSpan.Zero));
    }

    public Task<bool> TryLeaseAsync(string key, string owner, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var value = System.Text.Encoding.UTF8.GetBytes(owner);
        var entry = _entries.AddOrUpdate(
            key,
            _ => new Entry(value, 0, now + timeToLive),
            (_, old) => old.ExpiresAt <= now || (old.Value is { } held && held.AsSpan().SequenceEqual(value))
                ? new Entry(value, 0, now + timeToLive)
                : old);
        return Task.FromResult(entry.Value is { } v && v.AsSpan().SequenceEqual(value));
    }

    public Task ReleaseLeaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Value is { } held && held.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(owner)))
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        return Task.CompletedTask;
    }

    private bool TryGetLive(string key, DateTimeOffset now, out Entry entry)
    {
        if (_entries.TryGetValue(key, out entry!))
        {
            if (entry.ExpiresAt > now)
            {
                return true;
            }

            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        return false;
    }

    private void MaybeSweep()
    {
        if (Interlocked.Increment(ref _writes) % 4096 != 0)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private sealed record Entry(byte[]? Value, long Counter, DateTimeOffset ExpiresAt);
}

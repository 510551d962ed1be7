namespace Gateway.Core.Idempotency;

/// <summary><see cref="IIdempotencyStore"/> in process (no Redis configured): the same semantics for one instance.</summary>
public sealed class MemoryIdempotencyStore(TimeProvider time) : IIdempotencyStore
{
    private readonly Dictionary<string, (byte[] Value, DateTimeOffset Expires)> _records = new(StringComparer.Ordinal);
    private long _writes;

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            return Task.FromResult(Live(key)?.ToArray());
        }
    }

    public Task<bool> TryAddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            if (Live(key) is not null)
            {
                return Task.FromResult(false);
            }

            Write(key, value, timeToLive);
            return Task.FromResult(true);
        }
    }

    public Task<bool> TryReplaceAsync(string key, byte[] expected, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            if (Live(key) is not { } current || !current.AsSpan().SequenceEqual(expected))
            {
                return Task.FromResult(false);
            }

            Write(key, value, timeToLive);
            return Task.FromResult(true);
        }
    }

    public Task<bool> TryDeleteAsync(string key, byte[] expected, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            if (Live(key) is not { } current || !current.AsSpan().SequenceEqual(expected))
            {
                return Task.FromResult(false);
            }

            _records.Remove(key);
            return Task.FromResult(true);
        }
    }

    private byte[]? Live(string key)
    {
        if (!_records.TryGetValue(key, out var record))
        {
            return null;
        }

        if (record.Expires > time.GetUtcNow())
        {
            return record.Value;
        }

        _records.Remove(key);
        return null;
    }

    private void Write(string key, byte[] value, TimeSpan timeToLive)
    {
        _records[key] = (value.ToArray(), time.GetUtcNow() + timeToLive);
        if (++_writes % 1024 == 0)
        {
            // Expired records of keys never asked for again are swept now and then.
            var now = time.GetUtcNow();
            foreach (var stale in _records.Where(r => r.Value.Expires <= now).Select(r => r.Key).ToList())
            {
                _records.Remove(stale);
            }
        }
    }
}

namespace Gateway.Core.Storage;

/// <summary>
/// Small shared state with expiry: sessions, login-failure counters, later idempotency keys. Redis when configured
/// (shared by every gateway instance), else in process.
/// </summary>
/// <remarks>Every method throws <see cref="StoreUnavailableException"/> when the backing store cannot answer in time.</remarks>
public interface IKeyValueStore
{
    /// <summary>True when the store is shared by all gateway instances (Redis).</summary>
    bool IsDistributed { get; }

    /// <summary>Reads a value; with <paramref name="slideTo"/>, also resets its time to live (sliding expiry).</summary>
    Task<byte[]?> GetAsync(string key, TimeSpan? slideTo, CancellationToken cancellationToken);

    /// <summary>Writes a value that expires after <paramref name="timeToLive"/>.</summary>
    Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Removes a key; true when it existed.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Adds one to a counter, creating it with <paramref name="timeToLive"/> when absent; returns the new value
    /// and how long the counter still lives.</summary>
    Task<(long Value, TimeSpan TimeToLive)> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Takes the lease <paramref name="key"/> for <paramref name="owner"/> when nobody holds it, or renews it
    /// when <paramref name="owner"/> already does; true when <paramref name="owner"/> holds it for
    /// <paramref name="timeToLive"/> from now.</summary>
    Task<bool> TryLeaseAsync(string key, string owner, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Gives the lease <paramref name="key"/> up if <paramref name="owner"/> holds it.</summary>
    Task ReleaseLeaseAsync(string key, string owner, CancellationToken cancellationToken);

    /// <summary>Reads a counter written by <see cref="IncrementAsync"/> (0 when absent) and its remaining time to live.</summary>
    Task<(long Value, TimeSpan TimeToLive)> GetCounterAsync(string key, CancellationToken cancellationToken);
}

/// <summary>The key-value store (Redis) did not answer in time or is disconnected.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

namespace Gateway.Core.Idempotency;

/// <summary>
/// Records of idempotent requests, changed only by compare-and-set so that two requests (on any instances) can never
/// both believe they own one key. Redis when configured (shared by every instance), else in process with the same
/// semantics. Every method may throw <see cref="Storage.StoreUnavailableException"/>.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>The record under <paramref name="key"/>; null when there is none.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Creates the record unless one exists; true when this call created it.</summary>
    Task<bool> TryAddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Replaces the record if it still is <paramref name="expected"/> (byte for byte); true when replaced.</summary>
    Task<bool> TryReplaceAsync(string key, byte[] expected, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Removes the record if it still is <paramref name="expected"/>; true when removed.</summary>
    Task<bool> TryDeleteAsync(string key, byte[] expected, CancellationToken cancellationToken);
}

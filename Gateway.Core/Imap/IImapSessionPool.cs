using MailKit;

namespace Gateway.Core.Imap;

/// <summary>
/// Pooled, authenticated IMAP connections, several per account, each leased to exactly one caller at a time.
/// </summary>
/// <remarks>
/// MailKit's <c>ImapClient</c> runs one command at a time and throws when a second caller uses it concurrently, so a
/// lease is exclusive. Prefer <see cref="ExecuteAsync{T}"/>: it replaces a connection that turns out to be dead and
/// retries once when the operation is marked safe to retry, and it keeps a connection alive when the caller gives up
/// mid-command (the command finishes in the background, then the connection goes back to the pool).
/// </remarks>
public interface IImapSessionPool
{
    /// <summary>
    /// Opens a brand-new connection for <paramref name="account"/> (proving the credentials), puts it in the pool as
    /// idle, and returns what the server can do.
    /// </summary>
    /// <exception cref="Errors.UpstreamAuthenticationException">The server refused the credentials.</exception>
    /// <exception cref="Errors.UpstreamUnavailableException">The server is unreachable or a connection cap is reached.</exception>
    Task<ImapServerInfo> VerifyLoginAsync(ImapAccount account, CancellationToken cancellationToken);

    /// <summary>Leases a connection; dispose the lease (<c>await using</c>) to give it back.</summary>
    /// <param name="account">The account to act as.</param>
    /// <param name="preferredMailbox">Full name of the mailbox the caller is about to open; a connection that already has
    /// it selected is preferred.</param>
    /// <param name="cancellationToken">Cancels the wait for a connection.</param>
    /// <exception cref="Errors.UpstreamUnavailableException">No connection became free within <see cref="PoolOptions.AcquireTimeout"/>.</exception>
    ValueTask<ImapLease> AcquireAsync(ImapAccount account, string? preferredMailbox, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="operation"/> on a leased connection.</summary>
    /// <param name="account">The account to act as.</param>
    /// <param name="operation">The work; it receives the lease and a token to pass to MailKit.</param>
    /// <param name="options">Retry safety and the mailbox the operation works in.</param>
    /// <param name="cancellationToken">The caller's token. Cancelling it returns control to the caller at once; a
    /// command already sent is allowed to finish so the connection stays usable.</param>
    Task<T> ExecuteAsync<T>(
        ImapAccount account,
        Func<ImapLease, CancellationToken, Task<T>> operation,
        ImapOperationOptions options,
        CancellationToken cancellationToken);

    /// <summary>Counters for one account: connections, logins, commands by name.</summary>
    ImapAccountStats GetStats(ImapAccountKey key);

    /// <summary>Closes every connection of <paramref name="key"/> (e.g. after the session is revoked).</summary>
    Task EvictAsync(ImapAccountKey key, CancellationToken cancellationToken);
}

/// <summary>How an operation run through <see cref="IImapSessionPool.ExecuteAsync{T}"/> may be treated.</summary>
/// <param name="Mailbox">Full name of the mailbox the operation works in, for connection affinity.</param>
/// <param name="Retryable">True when running the operation twice is harmless (reads, idempotent writes): a dead
/// connection is then replaced and the operation run again, invisibly to the caller.</param>
public sealed record ImapOperationOptions(string? Mailbox = null, bool Retryable = true)
{
    public static ImapOperationOptions Default { get; } = new();

    public static ImapOperationOptions NotRetryable { get; } = new(Retryable: false);
}

/// <summary>What the server said about itself after login.</summary>
public sealed record ImapServerInfo(ImapCapabilitySet Capabilities, QuotaInfo? Quota);

/// <summary>The capabilities the gateway's callers care about.</summary>
public sealed record ImapCapabilitySet(
    bool Condstore,
    bool Qresync,
    bool ObjectId,
    bool Sort,
    bool Thread,
    bool Idle,
    bool Notify,
    bool Move,
    bool Utf8,
    bool SpecialUse,
    bool ListStatus,
    bool Quota);

/// <summary>Storage quota of the account's root, in bytes, when the server reports one.</summary>
public sealed record QuotaInfo(long? UsedBytes, long? LimitBytes, long? UsedMessages, long? LimitMessages);

/// <summary>A snapshot of one account's pool counters.</summary>
public sealed record ImapAccountStats(
    int OpenConnections,
    int LeasedConnections,
    long Logins,
    long Leases,
    long ConnectionsDiscarded,
    long BytesRead,
    IReadOnlyDictionary<string, long> CommandsByName)
{
    public long Commands(string name) => CommandsByName.TryGetValue(name, out var n) ? n : 0;
}

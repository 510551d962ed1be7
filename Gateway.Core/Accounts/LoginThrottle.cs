using Gateway.Core.Errors;
using Gateway.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Accounts;

/// <summary>
/// Counts failed logins per user name and client address in the shared store, so a password-guessing client is
/// refused (429) on every instance before the IMAP server sees another attempt.
/// </summary>
public sealed partial class LoginThrottle(IKeyValueStore store, IOptions<SessionOptions> options, ILogger<LoginThrottle> logger)
{
    private readonly SessionOptions _options = options.Value;

    /// <summary>Throws <see cref="RateLimitedException"/> when the pair has used up its failed attempts.</summary>
    public async Task EnsureAllowedAsync(string username, string? clientAddress, CancellationToken cancellationToken)
    {
        try
        {
            var (failures, ttl) = await store.GetCounterAsync(Key(username, clientAddress), cancellationToken);
            if (failures >= _options.MaxFailedLogins)
            {
                LogThrottled(AccountIds.Hash(username));
                throw new RateLimitedException(
                    "Too many failed logins for this user from this address; wait before trying again.",
                    ttl > TimeSpan.Zero ? ttl : _options.FailedLoginWindow);
            }
        }
        catch (StoreUnavailableException)
        {
            // Without the shared store the IMAP server's own auth_failure_delay still applies.
        }
    }

    public async Task RecordFailureAsync(string username, string? clientAddress, CancellationToken cancellationToken)
    {
        try
        {
            await store.IncrementAsync(Key(username, clientAddress), _options.FailedLoginWindow, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
        }
    }

    public async Task ResetAsync(string username, string? clientAddress, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(Key(username, clientAddress), cancellationToken);
        }
        catch (StoreUnavailableException)
        {
        }
    }

    private static string Key(string username, string? clientAddress) =>
        "loginfail:" + AccountIds.Hash($"{username.ToLowerInvariant()}\n{clientAddress}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login refused by throttle for user hash {UserHash}")]
    private partial void LogThrottled(string userHash);
}

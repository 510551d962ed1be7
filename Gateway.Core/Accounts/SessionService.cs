using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Accounts;

/// <summary>
/// Creates, validates and revokes bearer sessions. The token is random (256 bits) and only its SHA-256 hash is
/// stored; the credentials needed to open more IMAP connections are stored encrypted by <see cref="ISecretProtector"/>
/// in the shared store with a sliding expiry. Each instance keeps a short-lived local copy, which also carries known
/// sessions through a Redis outage.
/// </summary>
public sealed partial class SessionService(
    IKeyValueStore store,
    ISecretProtector protector,
    IImapSessionPool pool,
    LoginThrottle throttle,
    IOptions<ImapOptions> imapOptions,
    IOptions<SessionOptions> sessionOptions,
    TimeProvider timeProvider,
    ILogger<SessionService> logger)
{
    private const int MaxLocalSessions = 100_000;
    private readonly SessionOptions _options = sessionOptions.Value;
    private readonly ImapOptions _imap = imapOptions.Value;
    private readonly ConcurrentDictionary<string, LocalEntry> _local = new(StringComparer.Ordinal);

    /// <summary>Logs in to IMAP once to verify the credentials and opens a session.</summary>
    /// <exception cref="RequestValidationException">Neither or both of password and access token given.</exception>
    /// <exception cref="RateLimitedException">Too many failed logins for this user from this address.</exception>
    /// <exception cref="UpstreamAuthenticationException">The IMAP server refused the credentials.</exception>
    public async Task<CreatedSession> CreateAsync(
        string username, string? password, string? accessToken, string? clientAddress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        var method = password is not null ? ImapAuthMethod.Password : ImapAuthMethod.OAuth2;
        var secret = password ?? accessToken ?? throw RequestValidationException.For("password", "Give a password or an accessToken.");

        await throttle.EnsureAllowedAsync(username, clientAddress, cancellationToken);

        var account = new ImapAccount(new ImapAccountKey(_imap.Host, _imap.Port, _imap.Security, username, method), secret);
        ImapServerInfo server;
        try
        {
            server = await pool.VerifyLoginAsync(account, cancellationToken);
        }
        catch (UpstreamAuthenticationException)
        {
            await throttle.RecordFailureAsync(username, clientAddress, CancellationToken.None);
            throw;
        }

        await throttle.ResetAsync(username, clientAddress, CancellationToken.None);

        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var hash = HashToken(token);
        var now = timeProvider.GetUtcNow();
        var stored = new StoredSession(1, username, method, secret, account.Key.Host, account.Key.Port, account.Key.Security, now, now + _options.MaxLifetime);
        var session = ToSession(stored, hash, now);
        var payload = protector.Protect(JsonSerializer.SerializeToUtf8Bytes(stored));
        try
        {
            await store.SetAsync(Key(hash), payload, TimeToLive(stored, now), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            // Still usable on this instance; other instances will not know it until it is created again.
            LogStoreWriteFailed(ex);
        }

        Remember(hash, session, now);
        LogSessionCreated(session.AccountId, method);
        return new CreatedSession(token, session, server);
    }

    /// <summary>Finds the live session of a bearer token and extends it; null when unknown, expired or revoked.</summary>
    public async Task<AccountSession?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!LooksLikeToken(token))
        {
            return null;
        }

        return await ValidateHashAsync(HashToken(token), cancellationToken);
    }

    /// <summary>The live session whose token hashes to <paramref name="hash"/> (<see cref="AccountSession.TokenHash"/>);
    /// null when it is unknown, expired or revoked. For credentials that stand for a session without carrying its
    /// token, such as the single-use tickets of the event stream.</summary>
    public async Task<AccountSession?> ValidateHashAsync(string hash, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        _local.TryGetValue(hash, out var local);
        if (local is not null && local.Session.ExpiresAt <= now)
        {
            _local.TryRemove(hash, out _);
            local = null;
        }

        if (local is not null && now - local.CheckedAt < _options.LocalCacheDuration)
        {
            return local.Session;
        }

        byte[]? payload;
        try
        {
            payload = await store.GetAsync(Key(hash), _options.IdleTimeout, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // Redis is down: sessions this instance has seen keep working until they would have expired.
            return local?.Session;
        }

        if (payload is null)
        {
            _local.TryRemove(hash, out _);
            return null;
        }

        StoredSession? stored;
        try
        {
            stored = JsonSerializer.Deserialize<StoredSession>(protector.Unprotect(payload));
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException)
        {
            // The key ring lost the key (e.g. Redis was flushed) or the entry was tampered with: the session is gone.
            LogUnreadableSession(ex.GetType().Name);
            return null;
        }

        if (stored is null || stored.MaxExpiresAt <= now)
        {
            return null;
        }

        var session = ToSession(stored, hash, now);
        Remember(hash, session, now);
        return session;
    }

    /// <summary>Revokes the session of a token; its IMAP connections are closed when no other session uses them.</summary>
    public async Task RevokeAsync(AccountSession session, CancellationToken cancellationToken)
    {
        _local.TryRemove(session.TokenHash, out _);
        try
        {
            await store.DeleteAsync(Key(session.TokenHash), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            LogStoreWriteFailed(ex);
        }

        LogSessionRevoked(session.AccountId);
    }

    private AccountSession ToSession(StoredSession stored, string hash, DateTimeOffset now)
    {
        var key = new ImapAccountKey(stored.Host, stored.Port, stored.Security, stored.Username, stored.Method);
        var expires = Min(now + _options.IdleTimeout, stored.MaxExpiresAt);
        return new AccountSession(AccountIds.For(key), new ImapAccount(key, stored.Secret), hash, expires);
    }

    private TimeSpan TimeToLive(StoredSession stored, DateTimeOffset now) =>
        Min(now + _options.IdleTimeout, stored.MaxExpiresAt) - now;

    private void Remember(string hash, AccountSession session, DateTimeOffset now)
    {
        if (_local.Count >= MaxLocalSessions)
        {
            _local.Clear();
        }

        _local[hash] = new LocalEntry(session, now);
    }

    private static bool LooksLikeToken(string token) =>
        token.Length is >= 20 and <= 128 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string HashToken(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Key(string hash) => "sess:" + hash;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed record LocalEntry(AccountSession Session, DateTimeOffset CheckedAt);

    /// <summary>What the store holds (encrypted) per session.</summary>
    private sealed record StoredSession(
        int V,
        string Username,
        ImapAuthMethod Method,
        string Secret,
        string Host,
        int Port,
        ImapSecurity Security,
        DateTimeOffset CreatedAt,
        DateTimeOffset MaxExpiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session created for account {AccountId} ({Method})")]
    private partial void LogSessionCreated(string accountId, ImapAuthMethod method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session revoked for account {AccountId}")]
    private partial void LogSessionRevoked(string accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the session store; the session works on this instance only")]
    private partial void LogStoreWriteFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stored session could not be read ({Reason}); treating it as expired")]
    private partial void LogUnreadableSession(string reason);
}

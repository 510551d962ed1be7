using Microsoft.Extensions.Logging;

namespace Gateway.Core.Imap;

/// <summary>Source-generated log messages of the IMAP layer. Accounts are logged by key (never a secret).</summary>
internal static partial class ImapLog
{
    [LoggerMessage(1000, LogLevel.Debug, "IMAP connection {ConnectionId} opened for {Account} in {ElapsedMs:F1} ms")]
    public static partial void ConnectionOpened(this ILogger logger, ImapAccountKey account, long connectionId, double elapsedMs);

    [LoggerMessage(1001, LogLevel.Warning, "IMAP connect for {Account} failed: {Reason}")]
    public static partial void ConnectFailed(this ILogger logger, ImapAccountKey account, string reason);

    [LoggerMessage(1002, LogLevel.Information, "IMAP login refused for {Account} (response code {ResponseCode})")]
    public static partial void LoginRefused(this ILogger logger, ImapAccountKey account, string? responseCode);

    [LoggerMessage(1003, LogLevel.Warning, "IMAP server refused {Account}: its per-user connection limit is reached (response code {ResponseCode})")]
    public static partial void ServerConnectionLimit(this ILogger logger, ImapAccountKey account, string? responseCode);

    [LoggerMessage(1004, LogLevel.Debug, "Enabling {Extension} failed for {Account}: {Reason}")]
    public static partial void EnableFailed(this ILogger logger, string extension, ImapAccountKey account, string reason);

    [LoggerMessage(1010, LogLevel.Information, "IMAP connection {ConnectionId} of {Account} discarded: {Reason}")]
    public static partial void ConnectionDiscarded(this ILogger logger, ImapAccountKey account, long connectionId, string reason);

    [LoggerMessage(1011, LogLevel.Debug, "IMAP connection {ConnectionId} of {Account} closed ({Reason})")]
    public static partial void ConnectionClosed(this ILogger logger, ImapAccountKey account, long connectionId, string reason);

    [LoggerMessage(1012, LogLevel.Debug, "LOGOUT of IMAP connection {ConnectionId} of {Account} failed: {Reason}")]
    public static partial void LogoutFailed(this ILogger logger, ImapAccountKey account, long connectionId, string reason);

    [LoggerMessage(1013, LogLevel.Information, "IMAP connection {ConnectionId} of {Account} failed its health check: {Reason}")]
    public static partial void HealthCheckFailed(this ILogger logger, ImapAccountKey account, long connectionId, string reason);

    [LoggerMessage(1020, LogLevel.Warning, "No IMAP connection for {Account} became free within {Timeout}")]
    public static partial void AcquireTimedOut(this ILogger logger, ImapAccountKey account, TimeSpan timeout);

    [LoggerMessage(1021, LogLevel.Debug, "Global IMAP connection cap reached: closing idle connection {ConnectionId} of {Victim} for {Account}")]
    public static partial void GlobalCapEviction(this ILogger logger, ImapAccountKey victim, long connectionId, ImapAccountKey account);

    [LoggerMessage(1022, LogLevel.Information, "Reused IMAP connection {ConnectionId} of {Account} failed ({Reason}); retrying on a fresh connection")]
    public static partial void RetryingOnFreshConnection(this ILogger logger, ImapAccountKey account, long connectionId, string reason);

    [LoggerMessage(1023, LogLevel.Information, "Evicting IMAP connections of {Account}: {Idle} idle closed, {Leased} leased marked")]
    public static partial void Evicting(this ILogger logger, ImapAccountKey account, int idle, int leased);

    [LoggerMessage(1024, LogLevel.Error, "IMAP idle sweep failed")]
    public static partial void SweepFailed(this ILogger logger, Exception exception);
}

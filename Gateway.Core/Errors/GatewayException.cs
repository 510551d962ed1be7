namespace Gateway.Core.Errors;

/// <summary>
/// Base of every failure the gateway reports to its callers on purpose. The HTTP layer maps each subtype to one
/// problem type; <see cref="Code"/> is the stable UPPER_SNAKE code clients switch on.
/// </summary>
public abstract class GatewayException : Exception
{
    protected GatewayException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Stable machine-readable code, e.g. <c>MAILBOX_NOT_FOUND</c>.</summary>
    public abstract string Code { get; }

    /// <summary>True when the same request may succeed if simply retried later.</summary>
    public virtual bool Retryable => false;

    /// <summary>The IMAP response code that caused this, e.g. <c>NONEXISTENT</c>, if any.</summary>
    public string? ImapCode { get; init; }
}

/// <summary>The request is malformed; <see cref="Errors"/> names each bad field.</summary>
public sealed class RequestValidationException(string message, IReadOnlyDictionary<string, string[]>? errors = null)
    : GatewayException(message)
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    public override string Code => "VALIDATION_FAILED";

    public static RequestValidationException For(string field, string error) =>
        new(error, new Dictionary<string, string[]> { [field] = [error] });
}

public sealed class UpstreamAuthenticationException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override string Code => "UPSTREAM_AUTH_FAILED";
}

public sealed class MailboxNotFoundException(string message) : GatewayException(message)
{
    public override string Code => "MAILBOX_NOT_FOUND";
}

public sealed class MessageNotFoundException(string message) : GatewayException(message)
{
    public override string Code => "MESSAGE_NOT_FOUND";
}

/// <summary>The account named in the path is not the caller's.</summary>
public sealed class AccountNotFoundException(string message) : GatewayException(message)
{
    public override string Code => "ACCOUNT_NOT_FOUND";
}

/// <summary>Already exists, has children, is INBOX, or otherwise conflicts with the server's state.</summary>
public sealed class ConflictException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override string Code => "CONFLICT";
}

public sealed class TargetMailboxNotFoundException(string message) : GatewayException(message)
{
    public override string Code => "TARGET_MAILBOX_NOT_FOUND";
}

public sealed class UidValidityChangedException(string message) : GatewayException(message)
{
    public override string Code => "UIDVALIDITY_CHANGED";
}

public sealed class PayloadTooLargeException(string message) : GatewayException(message)
{
    public override string Code => "PAYLOAD_TOO_LARGE";
}

public sealed class OverQuotaException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override string Code => "OVER_QUOTA";
}

/// <summary>The caller exceeded a rate limit.</summary>
public sealed class RateLimitedException(string message, TimeSpan retryAfter) : GatewayException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    public override string Code => "RATE_LIMITED";

    public override bool Retryable => true;
}

/// <summary>The IMAP server cannot be reached, or a connection cap (ours or the server's) is reached.</summary>
public sealed class UpstreamUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null)
    : GatewayException(message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    public override string Code => "UPSTREAM_UNAVAILABLE";

    public override bool Retryable => true;
}

/// <summary>The IMAP server did not answer in time.</summary>
public sealed class UpstreamTimeoutException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override string Code => "UPSTREAM_TIMEOUT";

    public override bool Retryable => true;
}

/// <summary>The IMAP server answered something unexpected, refused a command, or TLS failed.</summary>
public sealed class UpstreamProtocolException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override string Code => "UPSTREAM_PROTOCOL_ERROR";
}

/// <summary>A change request's state can no longer be answered (JMAP's <c>cannotCalculateChanges</c>): the client must
/// list again from the first page.</summary>
public sealed class CannotCalculateChangesException(string message) : GatewayException(message)
{
    public override string Code => "CANNOT_CALCULATE_CHANGES";
}

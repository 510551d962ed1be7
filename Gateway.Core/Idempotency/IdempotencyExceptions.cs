using Gateway.Core.Errors;

namespace Gateway.Core.Idempotency;

/// <summary>An <c>Idempotency-Key</c> already used for a different request (another body, mailbox or flags).</summary>
public sealed class IdempotencyKeyReusedException(string message) : GatewayException(message)
{
    public override string Code => "IDEMPOTENCY_KEY_REUSED";
}

/// <summary>A request with the same <c>Idempotency-Key</c> is still running: retry after <see cref="RetryAfter"/>.</summary>
public sealed class IdempotencyKeyInUseException(string message, TimeSpan retryAfter) : GatewayException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    public override string Code => "IDEMPOTENCY_KEY_IN_USE";

    public override bool Retryable => true;
}

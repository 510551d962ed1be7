namespace Gateway.Core.Errors;

/// <summary>A conditional write (<c>If-Match</c>) was refused: the message changed since the entity tag was issued, or
/// the tag is not one of this message, or the server cannot evaluate the condition (no CONDSTORE). Nothing was
/// changed.</summary>
public sealed class PreconditionFailedException(string message) : GatewayException(message)
{
    public override string Code => "PRECONDITION_FAILED";
}

/// <summary>
/// A write of several IMAP steps stopped halfway (e.g. a move by COPY + STORE \Deleted + UID EXPUNGE whose second step
/// failed). Nothing is lost, but the state is not the one asked for; <see cref="GatewayException.Message"/> says what
/// it is. Answered with the problem type of <see cref="Cause"/>, always retryable.
/// </summary>
public sealed class IncompleteWriteException(string message, GatewayException cause) : GatewayException(message, cause)
{
    /// <summary>What stopped the write (an upstream failure).</summary>
    public GatewayException Cause { get; } = cause;

    public override string Code => Cause.Code;

    public override bool Retryable => true;
}

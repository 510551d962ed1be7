using Gateway.Core.Errors;

namespace Gateway.Api.Problems;

/// <summary>The problem types of the public contract (API.md): slug, HTTP status and title per error code.</summary>
public static class ProblemTypes
{
    public const string BaseUri = "https://imap-gateway.dev/problems/";
    public const string ContentType = "application/problem+json";

    public static readonly ProblemType ValidationFailed = new("validation-failed", StatusCodes.Status400BadRequest, "The request is not valid.");
    public static readonly ProblemType UpstreamAuthFailed = new("upstream-auth-failed", StatusCodes.Status401Unauthorized, "The IMAP server refused the credentials.");
    public static readonly ProblemType Unauthorized = new("unauthorized", StatusCodes.Status401Unauthorized, "A valid bearer token is required.");
    public static readonly ProblemType Forbidden = new("forbidden", StatusCodes.Status403Forbidden, "Not allowed.");
    public static readonly ProblemType NotFound = new("not-found", StatusCodes.Status404NotFound, "Nothing lives at this address.");
    public static readonly ProblemType AccountNotFound = new("account-not-found", StatusCodes.Status404NotFound, "The account does not exist or is not yours.");
    public static readonly ProblemType MailboxNotFound = new("mailbox-not-found", StatusCodes.Status404NotFound, "The mailbox does not exist.");
    public static readonly ProblemType MessageNotFound = new("message-not-found", StatusCodes.Status404NotFound, "The message does not exist.");
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", StatusCodes.Status405MethodNotAllowed, "The method is not allowed here.");
    public static readonly ProblemType NotAcceptable = new("not-acceptable", StatusCodes.Status406NotAcceptable, "No acceptable representation.");
    public static readonly ProblemType Conflict = new("conflict", StatusCodes.Status409Conflict, "The request conflicts with the mailbox's state.");
    public static readonly ProblemType TargetMailboxNotFound = new("target-mailbox-not-found", StatusCodes.Status409Conflict, "The target mailbox does not exist.");
    public static readonly ProblemType UidValidityChanged = new("uidvalidity-changed", StatusCodes.Status410Gone, "The mailbox was recreated; this id or token is no longer valid.");
    public static readonly ProblemType CannotCalculateChanges = new("cannot-calculate-changes", StatusCodes.Status410Gone, "The changes since this state cannot be calculated; list again from the first page.");
    public static readonly ProblemType PreconditionFailed = new("precondition-failed", StatusCodes.Status412PreconditionFailed, "The precondition (If-Match) failed.");
    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", StatusCodes.Status413PayloadTooLarge, "The request body is too large.");
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", StatusCodes.Status415UnsupportedMediaType, "The request body has an unsupported content type.");
    public static readonly ProblemType IdempotencyKeyInUse = new("idempotency-key-in-use", StatusCodes.Status409Conflict, "A request with this Idempotency-Key is still running.");
    public static readonly ProblemType IdempotencyKeyReused = new("idempotency-key-reused", StatusCodes.Status422UnprocessableEntity, "This Idempotency-Key was used for a different request.");
    public static readonly ProblemType RateLimited = new("rate-limited", StatusCodes.Status429TooManyRequests, "Too many requests.");
    public static readonly ProblemType InternalError = new("internal-error", StatusCodes.Status500InternalServerError, "An unexpected error occurred.");
    public static readonly ProblemType UpstreamProtocolError = new("upstream-protocol-error", StatusCodes.Status502BadGateway, "The IMAP server answered something unexpected.");
    public static readonly ProblemType UpstreamUnavailable = new("upstream-unavailable", StatusCodes.Status503ServiceUnavailable, "The IMAP server is unavailable.");
    public static readonly ProblemType UpstreamTimeout = new("upstream-timeout", StatusCodes.Status504GatewayTimeout, "The IMAP server did not answer in time.");
    public static readonly ProblemType OverQuota = new("over-quota", StatusCodes.Status507InsufficientStorage, "The account is over its quota.");

    /// <summary>The problem type of a domain exception.</summary>
    public static ProblemType For(GatewayException exception) => exception switch
    {
        RequestValidationException => ValidationFailed,
        UpstreamAuthenticationException => UpstreamAuthFailed,
        AccountNotFoundException => AccountNotFound,
        MailboxNotFoundException => MailboxNotFound,
        MessageNotFoundException => MessageNotFound,
        ConflictException => Conflict,
        TargetMailboxNotFoundException => TargetMailboxNotFound,
        UidValidityChangedException => UidValidityChanged,
        CannotCalculateChangesException => CannotCalculateChanges,
        PayloadTooLargeException => PayloadTooLarge,
        PreconditionFailedException => PreconditionFailed,
        IncompleteWriteException e => For(e.Cause),
        RateLimitedException => RateLimited,
        UpstreamUnavailableException => UpstreamUnavailable,
        UpstreamTimeoutException => UpstreamTimeout,
        UpstreamProtocolException => UpstreamProtocolError,
        OverQuotaException => OverQuota,
        Gateway.Core.Idempotency.IdempotencyKeyInUseException => IdempotencyKeyInUse,
        Gateway.Core.Idempotency.IdempotencyKeyReusedException => IdempotencyKeyReused,
        _ => InternalError,
    };

    /// <summary>The generic problem type of a bare status code (routing, content negotiation, framework errors).</summary>
    public static ProblemType ForStatus(int status) => status switch
    {
        400 => ValidationFailed,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        406 => NotAcceptable,
        409 => Conflict,
        412 => PreconditionFailed,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        502 => UpstreamProtocolError,
        503 => UpstreamUnavailable,
        504 => UpstreamTimeout,
        _ => new ProblemType($"http-{status}", status, ReasonPhrase(status)),
    };

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}

/// <summary>One problem type: <c>type</c> is <see cref="ProblemTypes.BaseUri"/> + slug, <c>code</c> its UPPER_SNAKE form.</summary>
public sealed record ProblemType(string Slug, int Status, string Title)
{
    public string Uri => ProblemTypes.BaseUri + Slug;

    public string Code => Slug.Replace('-', '_').ToUpperInvariant();
}

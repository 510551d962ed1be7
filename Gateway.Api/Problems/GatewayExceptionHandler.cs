using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.AspNetCore.Diagnostics;

namespace Gateway.Api.Problems;

/// <summary>
/// The one place where exceptions become RFC 9457 problems. Domain exceptions map by type (API.md's table); MailKit
/// and I/O exceptions that escaped the pool map to the upstream problem types; bad input never becomes a 500.
/// </summary>
public sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var context = httpContext;
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads an answer. 499 is what proxies log for this.
            context.Response.StatusCode = 499;
            return true;
        }

        var (type, detail, retryable, imapCode, retryAfter) = Classify(exception);
        if (type.Status >= 500)
        {
            LogServerError(type.Code, context.Request.Method, context.Request.Path, exception);
        }
        else
        {
            LogClientError(type.Code, context.Request.Method, context.Request.Path, exception.GetType().Name);
        }

        if (context.Response.HasStarted)
        {
            // Too late for a problem body: abort so the client sees a broken response, never a truncated "success".
            context.Abort();
            return true;
        }

        context.Response.Clear();
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (type.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        var problem = ProblemWriter.Create(context, type, detail, retryable, imapCode);
        if (exception is RequestValidationException { Errors.Count: > 0 } validation)
        {
            problem.Extensions["errors"] = validation.Errors;
        }

        await ProblemWriter.WriteAsync(context, problem);
        return true;
    }

    private static (ProblemType Type, string Detail, bool? Retryable, string? ImapCode, TimeSpan? RetryAfter) Classify(Exception exception) => exception switch
    {
        RateLimitedException e => (ProblemTypes.RateLimited, e.Message, true, null, e.RetryAfter),
        UpstreamUnavailableException e => (ProblemTypes.UpstreamUnavailable, e.Message, true, e.ImapCode, e.RetryAfter),
        IncompleteWriteException { Cause: UpstreamUnavailableException cause } e => (ProblemTypes.UpstreamUnavailable, e.Message, true, cause.ImapCode, cause.RetryAfter),
        Gateway.Core.Idempotency.IdempotencyKeyInUseException e => (ProblemTypes.For(e), e.Message, true, null, e.RetryAfter),
        GatewayException e => (ProblemTypes.For(e), e.Message, e.Retryable ? true : null, e.ImapCode, null),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (ProblemTypes.PayloadTooLarge, "The request body is too large.", false, null, null),
        BadHttpRequestException e => (ProblemTypes.ForStatus(e.StatusCode), e.Message, false, null, null),
        JsonException => (ProblemTypes.ValidationFailed, "The request body is not valid JSON for this operation.", false, null, null),
        FolderNotFoundException => (ProblemTypes.MailboxNotFound, "The mailbox does not exist.", false, "NONEXISTENT", null),
        MailKit.MessageNotFoundException => (ProblemTypes.MessageNotFound, "The message does not exist.", false, null, null),
        MailKit.Security.AuthenticationException => (ProblemTypes.UpstreamAuthFailed, "The IMAP server refused the credentials.", false, null, null),
        SslHandshakeException => (ProblemTypes.UpstreamProtocolError, "TLS with the IMAP server failed.", false, null, null),
        ImapProtocolException e when ImapErrors.IsDroppedConnection(e) => (ProblemTypes.UpstreamUnavailable, "The connection to the IMAP server dropped.", true, null, ImapErrors.UnavailableRetryAfter),
        ImapProtocolException => (ProblemTypes.UpstreamProtocolError, "The IMAP server answered something unexpected.", true, null, null),
        ImapCommandException e => (ProblemTypes.UpstreamProtocolError, "The IMAP server refused the command: " + e.ResponseText, false, null, null),
        TimeoutException => (ProblemTypes.UpstreamTimeout, "The IMAP server did not answer in time.", true, null, null),
        ServiceNotConnectedException or SocketException or IOException => (ProblemTypes.UpstreamUnavailable, "The IMAP server is unavailable.", true, null, ImapErrors.UnavailableRetryAfter),
        StoreUnavailableException => (ProblemTypes.UpstreamUnavailable, "The session store is unavailable.", true, null, TimeSpan.FromSeconds(5)),
        _ => (ProblemTypes.InternalError, "An unexpected error occurred.", null, null, null),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "{Code} answering {Method} {Path}")]
    private partial void LogServerError(string code, string method, PathString path, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Code} answering {Method} {Path} ({ExceptionType})")]
    private partial void LogClientError(string code, string method, PathString path, string exceptionType);
}

using Gateway.Api.Auth;
using Gateway.Api.OpenApi;
using Gateway.Api.Problems;
using Gateway.Core.Errors;
using Gateway.Core.Idempotency;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Messages;

/// <summary>The messages of one mailbox.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages")]
[Tags("Messages")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MailboxMessagesController(
    MessageAppender appender,
    Microsoft.Extensions.Options.IOptions<AppendOptions> appendOptions) : ControllerBase
{
    private const int MaxFilterLength = 256;
    private const string MessageMediaType = "message/rfc822";

    /// <summary>Stores a message in the mailbox (IMAP APPEND).</summary>
    /// <remarks>
    /// <para>The body is the message itself (<c>Content-Type: message/rfc822</c>), stored byte for byte except that bare
    /// LF line ends become CRLF (and a message that is all header gets the empty line that ends a header). It must
    /// start with a header field and hold no NUL byte; its size is limited by <c>Messages:MaxAppendBytes</c> (413
    /// beyond). The answer is the new message's summary, as listings show it; the next listing shows the message.</para>
    /// <para>Send an <c>Idempotency-Key</c> (1 to 255 printable ASCII characters, kept 24 hours per account) to make a
    /// retry safe: a repeated request answers the first one's result (with <c>Idempotent-Replayed: true</c>) and never
    /// appends twice, even when the first one failed after the server stored the message. The same key with a
    /// different message, mailbox or flags is 422 <c>idempotency-key-reused</c>; while the first request still runs,
    /// 409 <c>idempotency-key-in-use</c> with <c>Retry-After</c>.</para>
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias (<c>inbox</c>, <c>drafts</c>, ...).</param>
    /// <param name="seen">Store the message as read (<c>\Seen</c>).</param>
    /// <param name="flagged">Store the message flagged (<c>\Flagged</c>).</param>
    /// <param name="draft">Store the message as a draft (<c>\Draft</c>).</param>
    /// <param name="idempotencyKey">Makes retries of this request safe (see above).</param>
    /// <param name="cancellationToken">Aborted with the request; an APPEND already sent still completes.</param>
    /// <response code="201">Stored; <c>Location</c> is the new message's URL.</response>
    /// <response code="400">Empty or unparsable message, a bad flag value or a bad <c>Idempotency-Key</c> (<c>validation-failed</c>).</response>
    /// <response code="404">No such mailbox (<c>mailbox-not-found</c>).</response>
    /// <response code="409">The mailbox cannot hold messages (<c>conflict</c>), or a request with this key is still running (<c>idempotency-key-in-use</c>, with <c>Retry-After</c>).</response>
    /// <response code="413">The message is larger than <c>Messages:MaxAppendBytes</c> (<c>payload-too-large</c>).</response>
    /// <response code="415">The body is not <c>message/rfc822</c> (<c>unsupported-media-type</c>).</response>
    /// <response code="422">The <c>Idempotency-Key</c> was used for a different request (<c>idempotency-key-reused</c>).</response>
    /// <response code="507">The account is over its quota (<c>over-quota</c>).</response>
    [HttpPost(Name = "appendMessage")]
    [RawRequestBody(MessageMediaType, "The message (RFC 5322 bytes).")]
    [ProducesResponseType<MessageSummaryResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, ProblemTypes.ContentType)]
    public async Task<IActionResult> Append(
        string accountId,
        string mailboxId,
        [FromQuery] bool? seen,
        [FromQuery] bool? flagged,
        [FromQuery] bool? draft,
        [FromHeader(Name = IdempotencyKeys.HeaderName)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (!MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        foreach (var (name, values) in Request.Query)
        {
            if (values.Any(string.IsNullOrEmpty))
            {
                throw RequestValidationException.For(name, $"'{name}' is empty: give it a value or leave it out.");
            }
        }

        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals(MessageMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return new ProblemResult(ProblemWriter.Create(HttpContext, ProblemTypes.UnsupportedMediaType, $"Send the message as '{MessageMediaType}'."));
        }

        if (Request.Headers.TryGetValue(IdempotencyKeys.HeaderName, out var keys))
        {
            if (keys.Count != 1 || !IdempotencyKeys.IsValid(keys[0]))
            {
                throw RequestValidationException.For(IdempotencyKeys.HeaderName, $"Send one {IdempotencyKeys.HeaderName} of 1 to {IdempotencyKeys.MaxLength} printable ASCII characters.");
            }

            idempotencyKey = keys[0];
        }

        // Refused before reading when the declared size is too large; otherwise counted while reading.
        var max = appendOptions.Value.MaxAppendBytes;
        if (Request.ContentLength > max)
        {
            throw new PayloadTooLargeException($"The message must be at most {max} bytes.");
        }

        if (HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max;
        }

        await using var upload = await MessageUpload.ReadAsync(Request.Body, max, cancellationToken);
        var flags = new AppendFlags(seen == true, flagged == true, draft == true);
        var result = await appender.AppendAsync(session, mailboxId, upload, flags, idempotencyKey, cancellationToken);
        var messageId = MessageIds.For(result.MailboxId, result.UidValidity, result.Summary.Uid);
        if (result.Replayed)
        {
            Response.Headers["Idempotent-Replayed"] = "true";
        }

        var location = Url.RouteUrl("getMessage", new { accountId = session.AccountId, messageId })
            ?? throw new InvalidOperationException("The message route is not registered.");
        return Created(location, MessageSummaryResponse.Create(result.MailboxId, result.UidValidity, result.Summary));
    }
}

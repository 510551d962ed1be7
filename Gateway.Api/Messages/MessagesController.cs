using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Writes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Messages;

/// <summary>Single messages by id: the parsed message, its raw bytes, its attachments. Reading never sets <c>\Seen</c>.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/messages/{messageId}")]
[Tags("Messages")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MessagesController(MessageReader reader) : ControllerBase
{
    /// <summary>One message: what listings show, plus all headers, the text and sanitized HTML bodies, attachments.</summary>
    /// <remarks>Reading a message never sets <c>\Seen</c>. Attachments carry their own download URLs.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id from a listing.</param>
    /// <param name="allowRemote">Keep remote images, backgrounds and CSS loads in <c>html</c> (default false: removed,
    /// so opening a message tells no tracker about it).</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The message; <c>ETag</c> names this version of it (send it in <c>If-Match</c> to make a
    /// change conditional). Servers without CONDSTORE give no ETag.</response>
    /// <response code="400">The message id is malformed (<c>validation-failed</c>).</response>
    /// <response code="404">No such message, or its mailbox does not exist (<c>message-not-found</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    [HttpGet(Name = "getMessage")]
    [ProducesResponseType<MessageResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<MessageResponse> Get(string accountId, string messageId, [FromQuery] bool allowRemote, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var options = new MessageReadOptions(allowRemote, attachmentId => AttachmentUrl(session.AccountId, messageId, attachmentId));
        var content = await reader.GetAsync(session, messageId, options, cancellationToken);
        if (MessageETags.For(content.UidValidity, content.Summary.Uid, content.Summary.ModSeq) is { } etag)
        {
            Response.Headers.ETag = etag;
        }

        return MessageResponse.Create(content);
    }

    /// <summary>The message exactly as the server holds it (RFC 5322 bytes), streamed.</summary>
    /// <remarks>Served as <c>message/rfc822</c>, a download, without being held in memory.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id from a listing.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The raw message, as a download.</response>
    /// <response code="400">The message id is malformed (<c>validation-failed</c>).</response>
    /// <response code="404">No such message (<c>message-not-found</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    [HttpGet("raw", Name = "getMessageRaw")]
    [ProducesResponseType(typeof(FileStreamResult), StatusCodes.Status200OK, "message/rfc822")]
    public async Task<IActionResult> GetRaw(string accountId, string messageId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        return new DownloadResult(await reader.GetRawAsync(session, messageId, cancellationToken));
    }

    /// <summary>One attachment, decoded, streamed with its own media type and file name.</summary>
    /// <remarks>The answer's <c>Content-Type</c> is the attachment's (e.g. <c>image/png</c>); it is always a download
    /// (<c>Content-Disposition: attachment</c> with <c>filename*</c>), with <c>X-Content-Type-Options: nosniff</c>.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id from a listing.</param>
    /// <param name="attachmentId">An attachment id from the message's <c>attachments</c>.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The decoded bytes.</response>
    /// <response code="400">An id is malformed (<c>validation-failed</c>).</response>
    /// <response code="404">No such message, or the message has no such attachment (<c>message-not-found</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    [HttpGet("attachments/{attachmentId}", Name = "getMessageAttachment")]
    [ProducesResponseType(typeof(FileStreamResult), StatusCodes.Status200OK, "application/octet-stream")]
    public async Task<IActionResult> GetAttachment(string accountId, string messageId, string attachmentId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        return new DownloadResult(await reader.GetAttachmentAsync(session, messageId, attachmentId, cancellationToken));
    }

    private string AttachmentUrl(string accountId, string messageId, string attachmentId) =>
        Url.RouteUrl("getMessageAttachment", new { accountId, messageId, attachmentId })
            ?? throw new InvalidOperationException("The attachment route is not registered.");
}

using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Errors;
using Gateway.Core.Messages.Writes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Messages;

/// <summary>Changing messages: flags and keywords, move, copy, delete, batches, and marking a mailbox read. A write is
/// visible to the next listing or read on any gateway instance as soon as it answers.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}")]
[Tags("Messages")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MessageWritesController(MessageWriter writer) : ControllerBase
{
    private const int BodyLimit = 64 * 1024;

    /// <summary>Changes a message's flags and keywords.</summary>
    /// <remarks>With <c>If-Match: &lt;the message's ETag&gt;</c> (from this answer or <c>GET</c> of the message) the change
    /// is made only if the message has not changed since (IMAP CONDSTORE <c>UNCHANGEDSINCE</c>, atomic at the server);
    /// otherwise 412 and nothing changes. On a server without CONDSTORE messages have no ETag and every <c>If-Match</c>
    /// other than <c>*</c> answers 412.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="request">What to change.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The message after the change, with its new <c>ETag</c>.</response>
    /// <response code="400">Malformed id or body, or a keyword that is not an IMAP atom (<c>validation-failed</c>).</response>
    /// <response code="404">No such message (<c>message-not-found</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    /// <response code="412">The message changed since the ETag in <c>If-Match</c> (<c>precondition-failed</c>).</response>
    [HttpPatch("messages/{messageId}", Name = "updateMessage")]
    [Consumes("application/json")]
    [RequestSizeLimit(BodyLimit)]
    [ProducesResponseType<MessageSummaryResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status412PreconditionFailed, ProblemTypes.ContentType)]
    public async Task<MessageSummaryResponse> Update(string accountId, string messageId, UpdateMessageRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var change = FlagChange.Create(request.Seen, request.Flagged, request.Answered, request.Draft, request.AddKeywords, request.RemoveKeywords);
        var precondition = WritePrecondition.FromIfMatch(Request.Headers.IfMatch);
        var written = await writer.UpdateAsync(session, messageId, change, precondition, cancellationToken);
        if (written.ETag is { } etag)
        {
            Response.Headers.ETag = etag;
        }

        return MessageSummaryResponse.Create(written.MailboxId, written.UidValidity, written.Summary);
    }

    /// <summary>Moves a message to another mailbox.</summary>
    /// <remarks>One IMAP <c>MOVE</c> where the server offers it; otherwise COPY, then <c>\Deleted</c> and <c>UID EXPUNGE</c>
    /// of this message only (never a plain EXPUNGE; a server without UIDPLUS gets 409 instead). At every moment the
    /// message is in the source, the target or both; if the move stops halfway the answer says where it is
    /// (<c>retryable: true</c>).</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="request">The target mailbox.</param>
    /// <param name="cancellationToken">Aborted with the request; a move already sent to the server still completes.</param>
    /// <response code="200">Moved; the message's new id.</response>
    /// <response code="400">Malformed id or body, or the target is the message's own mailbox (<c>validation-failed</c>).</response>
    /// <response code="404">No such message (<c>message-not-found</c>).</response>
    /// <response code="409">No such target mailbox (<c>target-mailbox-not-found</c>), or the server cannot move safely
    /// (<c>conflict</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    [HttpPost("messages/{messageId}/move", Name = "moveMessage")]
    [Consumes("application/json")]
    [RequestSizeLimit(BodyLimit)]
    [ProducesResponseType<MessageIdResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, ProblemTypes.ContentType)]
    public async Task<MessageIdResponse> Move(string accountId, string messageId, MessageTargetRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        return new MessageIdResponse(await writer.MoveAsync(session, messageId, request.MailboxId, cancellationToken));
    }

    /// <summary>Copies a message to a mailbox.</summary>
    /// <remarks>IMAP <c>UID COPY</c>. The copy's id is null when the server does not report the new UID (no
    /// UIDPLUS); then there is no <c>Location</c>.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="request">The target mailbox (the message's own mailbox makes a duplicate).</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="201">The copy's id; <c>Location</c> is its URL.</response>
    /// <response code="400">Malformed id or body (<c>validation-failed</c>).</response>
    /// <response code="404">No such message (<c>message-not-found</c>).</response>
    /// <response code="409">No such target mailbox (<c>target-mailbox-not-found</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    /// <response code="507">The account is over its quota (<c>over-quota</c>).</response>
    [HttpPost("messages/{messageId}/copy", Name = "copyMessage")]
    [Consumes("application/json")]
    [RequestSizeLimit(BodyLimit)]
    [ProducesResponseType<MessageIdResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, ProblemTypes.ContentType)]
    public async Task<IActionResult> Copy(string accountId, string messageId, MessageTargetRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var id = await writer.CopyAsync(session, messageId, request.MailboxId, cancellationToken);
        var body = new MessageIdResponse(id);
        return id is null
            ? StatusCode(StatusCodes.Status201Created, body)
            : CreatedAtRoute("getMessage", new { accountId, messageId = id }, body);
    }

    /// <summary>Deletes a message: moves it to the Trash, or removes it for good.</summary>
    /// <remarks>Without <c>permanent=true</c> the message goes to the account's Trash (the mailbox with role
    /// <c>trash</c>); an account without one answers 409 rather than destroy mail nobody asked to destroy. With
    /// <c>permanent=true</c>, or for a message already in the Trash, the message is marked <c>\Deleted</c> and
    /// removed with <c>UID EXPUNGE</c> of that message only.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="permanent">Remove for good instead of moving to the Trash.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="204">Deleted (moved to the Trash, or removed).</response>
    /// <response code="400">Malformed id (<c>validation-failed</c>).</response>
    /// <response code="404">No such message (<c>message-not-found</c>).</response>
    /// <response code="409">The account has no Trash and <c>permanent</c> is not set, or the server cannot remove one
    /// message alone (<c>conflict</c>).</response>
    /// <response code="410">The mailbox was recreated since the id was made (<c>uidvalidity-changed</c>).</response>
    [HttpDelete("messages/{messageId}", Name = "deleteMessage")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    public async Task<IActionResult> Delete(string accountId, string messageId, [FromQuery] bool? permanent, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        await writer.DeleteAsync(session, messageId, permanent ?? false, cancellationToken);
        return NoContent();
    }

    /// <summary>Applies one change to many messages (of any mailboxes), with as few IMAP commands as possible.</summary>
    /// <remarks>Per mailbox: one <c>UID STORE</c> for what is added, one for what is removed, one <c>UID MOVE</c>.
    /// Answers 207 with a result per id: ids that are malformed, unknown or stale fail alone, the others are done.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="request">The ids and the change.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="207">One result per id.</response>
    /// <response code="400">No ids, more than 1,000, nothing to do, or a bad keyword (<c>validation-failed</c>).</response>
    /// <response code="409">The <c>moveTo</c> mailbox does not exist (<c>target-mailbox-not-found</c>).</response>
    [HttpPost("messages/batch", Name = "batchUpdateMessages")]
    [Consumes("application/json")]
    [RequestSizeLimit(256 * 1024)]
    [ProducesResponseType<BatchMessagesResponse>(StatusCodes.Status207MultiStatus, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    public async Task<IActionResult> Batch(string accountId, BatchMessagesRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (request.Ids is null || request.Ids.Count is 0 or > MessageWriter.MaxBatchSize)
        {
            throw RequestValidationException.For("ids", $"Give 1 to {MessageWriter.MaxBatchSize} message ids.");
        }

        var change = FlagChange.Create(request.Seen, request.Flagged, null, null, request.AddKeywords, request.RemoveKeywords);
        var results = await writer.BatchAsync(session, request.Ids, change, request.MoveTo, cancellationToken);
        var body = new BatchMessagesResponse(results.Select(r => Describe(r)).ToList());
        return StatusCode(StatusCodes.Status207MultiStatus, body);
    }

    /// <summary>Marks every message of a mailbox read, with one IMAP command.</summary>
    /// <remarks><c>UID STORE 1:* +FLAGS.SILENT (\Seen)</c>: the messages present when the command runs.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or role alias.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="204">Every message is seen.</response>
    /// <response code="404">No such mailbox (<c>mailbox-not-found</c>).</response>
    [HttpPost("mailboxes/{mailboxId}/mark-read", Name = "markMailboxRead")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    public async Task<IActionResult> MarkRead(string accountId, string mailboxId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (!Gateway.Core.Mailboxes.MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        await writer.MarkReadAsync(session, mailboxId, cancellationToken);
        return NoContent();
    }

    private static BatchItemResponse Describe(BatchItemResult result)
    {
        if (result.Error is not { } error)
        {
            return new BatchItemResponse(result.Id, StatusCodes.Status200OK, result.NewId);
        }

        var type = ProblemTypes.For(error);
        return new BatchItemResponse(
            result.Id,
            type.Status,
            null,
            new BatchProblemResponse(type.Uri, type.Title, type.Status, error.Message, type.Code, error.Retryable ? true : null));
    }
}

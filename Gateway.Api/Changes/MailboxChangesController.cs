using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Changes;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Changes;

/// <summary>What changed in a mailbox since a state: delta sync for clients that keep a copy.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/mailboxes/{mailboxId}/changes")]
[Tags("Changes")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MailboxChangesController(MailboxChangesService changes) : ControllerBase
{
    /// <summary>Lists the ids of the messages created, updated and destroyed in a mailbox since a state.</summary>
    /// <remarks>
    /// The shape of JMAP's <c>Email/changes</c> (RFC 8620 §5.2). <c>since</c> is the <c>state</c> of a listing page or
    /// the <c>newState</c> of a previous answer. Apply the three lists to your copy (fetch created and updated ids,
    /// drop destroyed ones; ignore ids you do not know), then keep <c>newState</c>. When <c>hasMoreChanges</c> is true,
    /// call again at once with <c>newState</c>. Answered from the IMAP server's own history (QRESYNC), so a state
    /// does not expire; after the mailbox is recreated (UIDVALIDITY changed) it answers 410
    /// <c>cannot-calculate-changes</c>: list again from the first page.
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias.</param>
    /// <param name="since">A state: a listing's <c>state</c> or a previous <c>newState</c>.</param>
    /// <param name="maxChanges">Most ids in one answer, all three lists together: 1 to 5000 (larger is clamped); default 1000.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The changes.</response>
    /// <response code="410">The state can no longer be answered (<c>cannot-calculate-changes</c>).</response>
    [HttpGet(Name = "getMailboxChanges")]
    [ProducesResponseType<MailboxChangesResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<ActionResult<MailboxChangesResponse>> Get(
        string accountId,
        string mailboxId,
        [FromQuery] string? since,
        [FromQuery] int? maxChanges,
        CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (!MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        if (string.IsNullOrEmpty(since))
        {
            throw RequestValidationException.For("since", "since is required: the 'state' of a listing or the 'newState' of a previous answer.");
        }

        var result = await changes.GetChangesAsync(session, mailboxId, since, maxChanges, cancellationToken);
        Response.Headers.CacheControl = "private, no-store";
        return new MailboxChangesResponse(result.OldState, result.NewState, result.HasMoreChanges, result.Created, result.Updated, result.Destroyed);
    }
}

/// <summary>The changes of a mailbox between two states.</summary>
/// <param name="OldState">The <c>since</c> asked about.</param>
/// <param name="NewState">The state after these changes: pass it as <c>since</c> next time.</param>
/// <param name="HasMoreChanges">True when more changes follow: call again with <see cref="NewState"/>.</param>
/// <param name="Created">Ids of messages that arrived.</param>
/// <param name="Updated">Ids of messages whose flags or keywords changed.</param>
/// <param name="Destroyed">Ids of messages that were expunged (deleted or moved away).</param>
public sealed record MailboxChangesResponse(
    string OldState,
    string NewState,
    bool HasMoreChanges,
    IReadOnlyList<string> Created,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Destroyed);

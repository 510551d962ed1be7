using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Changes;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Mailboxes;

/// <summary>The account's mailboxes. <c>{mailboxId}</c> also accepts the role aliases <c>inbox</c>, <c>sent</c>,
/// <c>drafts</c>, <c>trash</c>, <c>junk</c> and <c>archive</c>.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/mailboxes")]
[Tags("Mailboxes")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MailboxesController(MailboxService mailboxes, MessageListService listings, MailboxListChangesService listChanges) : ControllerBase
{
    /// <summary>Lists every mailbox with its role, counts and subscription.</summary>
    /// <remarks>The answer's <c>state</c> is a sync point for <c>GET .../mailboxes/changes?since=</c>. Each mailbox
    /// carries <c>cache</c>, the progress of the gateway's header cache for it.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The mailboxes, INBOX first, then by path.</response>
    [HttpGet(Name = "listMailboxes")]
    [ProducesResponseType<MailboxListResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<MailboxListResponse> List(string accountId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var list = await mailboxes.ListAsync(session, cancellationToken);
        var progress = await listings.GetCacheProgressAsync(list, cancellationToken);
        var state = await listChanges.RecordAsync(session, list, cancellationToken);
        return new MailboxListResponse(list.Select((m, i) => MailboxResponse.From(m, progress[i])).ToList(), state);
    }

    /// <summary>Lists the mailboxes created, updated (counts, subscription...) and destroyed since a state.</summary>
    /// <remarks>
    /// <c>since</c> is the <c>state</c> of the mailbox list or the <c>newState</c> of a previous answer. A mailbox id
    /// follows the mailbox's name, so a rename shows as one id destroyed and one created, paired in <c>renamed</c>.
    /// A state is kept 30 days after it was last used; an unknown or expired one answers 410
    /// <c>cannot-calculate-changes</c>: list the mailboxes again.
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="since">A mailbox list state.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The changes.</response>
    /// <response code="410">The state is unknown or expired (<c>cannot-calculate-changes</c>).</response>
    [HttpGet("changes", Name = "getMailboxListChanges")]
    [ProducesResponseType<MailboxListChangesResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    public async Task<MailboxListChangesResponse> Changes(string accountId, [FromQuery] string? since, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (string.IsNullOrEmpty(since))
        {
            throw RequestValidationException.For("since", "since is required: the 'state' of the mailbox list or the 'newState' of a previous answer.");
        }

        var changes = await listChanges.GetChangesAsync(session, since, cancellationToken);
        Response.Headers.CacheControl = "private, no-store";
        return new MailboxListChangesResponse(
            changes.OldState, changes.NewState, false, changes.Created, changes.Updated, changes.Destroyed, changes.UpdatedProperties,
            changes.Renamed.Select(r => new MailboxRenameResponse(r.From, r.To)).ToList());
    }

    /// <summary>Creates a mailbox (subscribed).</summary>
    /// <remarks>IMAP <c>CREATE</c> then <c>SUBSCRIBE</c>; <c>parentId</c> nests it under another mailbox.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="request">Name and optional parent.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="201">The new mailbox; <c>Location</c> is its URL.</response>
    /// <response code="409">A mailbox with that name exists there (<c>conflict</c>).</response>
    [HttpPost(Name = "createMailbox")]
    [Consumes("application/json")]
    [RequestSizeLimit(64 * 1024)]
    [ProducesResponseType<MailboxResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, ProblemTypes.ContentType)]
    public async Task<ActionResult<MailboxResponse>> Create(string accountId, CreateMailboxRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        CheckId(request.ParentId, "parentId");
        var created = await mailboxes.CreateAsync(session, request.Name, request.ParentId, cancellationToken);
        return CreatedAtRoute("getMailbox", new { accountId, mailboxId = created.Id }, MailboxResponse.From(created));
    }

    /// <summary>One mailbox.</summary>
    /// <remarks><c>mailboxId</c> also takes a role alias: <c>inbox</c>, <c>sent</c>, <c>drafts</c>, <c>trash</c>,
    /// <c>junk</c>, <c>archive</c>.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The mailbox.</response>
    /// <response code="404">No such mailbox (<c>mailbox-not-found</c>).</response>
    [HttpGet("{mailboxId}", Name = "getMailbox")]
    [ProducesResponseType<MailboxResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<MailboxResponse> Get(string accountId, string mailboxId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        CheckId(mailboxId, "mailboxId");
        var mailbox = await mailboxes.GetAsync(session, mailboxId, cancellationToken);
        var progress = await listings.GetCacheProgressAsync([mailbox], cancellationToken);
        return MailboxResponse.From(mailbox, progress[0]);
    }

    /// <summary>Renames, moves or (un)subscribes a mailbox.</summary>
    /// <remarks>Fields left out are not changed; <c>parentId: null</c> moves the mailbox to the top level. A mailbox id
    /// follows the mailbox's path, so a rename or move answers a new id.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias.</param>
    /// <param name="request">What to change.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The mailbox after the change (its id changes when its path does).</response>
    /// <response code="409">The new name exists, INBOX cannot move, or a mailbox cannot move into itself.</response>
    [HttpPatch("{mailboxId}", Name = "updateMailbox")]
    [Consumes("application/json", "application/merge-patch+json")]
    [RequestSizeLimit(64 * 1024)]
    [ProducesResponseType<MailboxResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    public async Task<MailboxResponse> Update(string accountId, string mailboxId, UpdateMailboxRequest request, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        CheckId(mailboxId, "mailboxId");
        CheckId(request.ParentId, "parentId");
        var update = new MailboxUpdate(request.Name, request.ParentId, request.ParentIdSpecified && request.ParentId is null, request.Subscribed);
        return MailboxResponse.From(await mailboxes.UpdateAsync(session, mailboxId, update, cancellationToken));
    }

    /// <summary>Deletes a mailbox and the messages in it.</summary>
    /// <remarks>IMAP <c>DELETE</c>: the messages are removed for good, not moved to the Trash.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="204">Deleted.</response>
    /// <response code="409">INBOX, or a mailbox with children (<c>conflict</c>).</response>
    [HttpDelete("{mailboxId}", Name = "deleteMailbox")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    public async Task<IActionResult> Delete(string accountId, string mailboxId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        CheckId(mailboxId, "mailboxId");
        await mailboxes.DeleteAsync(session, mailboxId, cancellationToken);
        return NoContent();
    }

    private static void CheckId(string? id, string field)
    {
        if (id is not null && !MailboxIds.IsWellFormed(id))
        {
            throw RequestValidationException.For(field, "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }
    }
}

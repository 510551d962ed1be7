using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Accounts;

/// <summary>The caller's account.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts")]
[Tags("Accounts")]
public sealed class AccountsController(AccountService accounts) : ControllerBase
{
    /// <summary>Who the caller is, what the IMAP server can do, and the quota where the server reports one.</summary>
    /// <remarks><c>capabilities</c> tells which features the server offers (CONDSTORE for ETags, QRESYNC for change
    /// feeds, NOTIFY or IDLE for push, SORT, MOVE...); <c>quota</c> is null on servers without the QUOTA extension.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">The account.</response>
    /// <response code="401">No valid bearer token.</response>
    /// <response code="404">Not the caller's account.</response>
    [HttpGet("{accountId}", Name = "getAccount")]
    [ProducesResponseType<AccountResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
    public async Task<ActionResult<AccountResponse>> Get(string accountId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var info = await accounts.GetServerInfoAsync(session, cancellationToken);
        var c = info.Capabilities;
        return new AccountResponse(
            session.AccountId,
            session.Account.Username,
            new CapabilitiesResponse(c.Condstore, c.Qresync, c.ObjectId, c.Sort, c.Thread, c.Idle, c.Notify, c.Move, c.Utf8),
            info.Quota is { } q ? new QuotaResponse(q.UsedBytes, q.LimitBytes, q.UsedMessages, q.LimitMessages) : null);
    }
}

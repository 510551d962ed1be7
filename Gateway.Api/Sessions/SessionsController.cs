using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Sessions;

/// <summary>Log in and out.</summary>
[ApiController]
[Route("api/v1/sessions")]
[Tags("Sessions")]
public sealed class SessionsController(SessionService sessions) : ControllerBase
{
    private const int MaxUsernameLength = 320;
    private const int MaxSecretLength = 8192;

    /// <summary>Logs in to the IMAP server once to verify the credentials and returns a bearer token.</summary>
    /// <remarks>Give <c>password</c> (IMAP LOGIN) or <c>accessToken</c> (XOAUTH2), not both. The token is sent as
    /// <c>Authorization: Bearer</c>; the session expires after <c>Sessions:IdleTimeout</c> unused and at the latest
    /// after <c>Sessions:MaxLifetime</c>.</remarks>
    /// <response code="201">The session; the token is shown only this once.</response>
    /// <response code="400">Malformed request: missing user name, neither or both of password and accessToken.</response>
    /// <response code="401">The IMAP server refused the credentials (<c>upstream-auth-failed</c>).</response>
    /// <response code="429">Too many failed logins for this user from this address; see <c>Retry-After</c>.</response>
    /// <response code="503">The IMAP server is unreachable or its connection limit is reached.</response>
    /// <response code="504">The IMAP server did not answer in time.</response>
    [HttpPost(Name = "createSession")]
    [AllowAnonymous]
    [Consumes("application/json")]
    [RequestSizeLimit(32 * 1024)]
    [ProducesResponseType<SessionResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
    public async Task<ActionResult<SessionResponse>> Create(CreateSessionRequest request, CancellationToken cancellationToken)
    {
        Validate(request);
        var created = await sessions.CreateAsync(
            request.Username,
            request.Password,
            request.AccessToken,
            HttpContext.Connection.RemoteIpAddress?.ToString(),
            cancellationToken);
        Response.Headers.CacheControl = "no-store";
        return CreatedAtRoute(
            "getAccount",
            new { accountId = "me" },
            new SessionResponse(created.Token, created.Session.AccountId, created.Session.ExpiresAt));
    }

    /// <summary>Revokes the bearer token used for this call.</summary>
    /// <remarks>The session and its stored credentials are deleted; its IMAP connections are closed when no other
    /// session uses them. Other sessions of the same user keep working.</remarks>
    /// <response code="204">Revoked; the token no longer works.</response>
    /// <response code="401">No valid bearer token.</response>
    [HttpDelete("current", Name = "deleteCurrentSession")]
    [Authorize]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
    public async Task<IActionResult> DeleteCurrent(CancellationToken cancellationToken)
    {
        await sessions.RevokeAsync(HttpContext.GetAccountSession(), cancellationToken);
        return NoContent();
    }

    private static void Validate(CreateSessionRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username))
        {
            errors["username"] = ["The user name is required."];
        }
        else if (request.Username.Length > MaxUsernameLength || request.Username.Any(char.IsControl))
        {
            errors["username"] = [$"The user name must be at most {MaxUsernameLength} characters without control characters."];
        }

        if ((request.Password is null) == (request.AccessToken is null))
        {
            errors["password"] = ["Give exactly one of password and accessToken."];
        }

        foreach (var (field, secret) in new[] { ("password", request.Password), ("accessToken", request.AccessToken) })
        {
            if (secret is null)
            {
                continue;
            }

            if (secret.Length == 0 || secret.Length > MaxSecretLength || secret.Contains('\r') || secret.Contains('\n') || secret.Contains('\0'))
            {
                errors[field] = [$"The {field} must be 1 to {MaxSecretLength} characters without CR, LF or NUL."];
            }
        }

        if (errors.Count > 0)
        {
            throw new RequestValidationException("The login request is not valid.", errors);
        }
    }
}

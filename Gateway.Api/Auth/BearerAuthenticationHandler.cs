using System.Security.Claims;
using System.Text.Encodings.Web;
using Gateway.Api.Problems;
using Gateway.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against the session store. A missing, unknown, expired or
/// revoked token answers 401 <c>unauthorized</c> with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SessionService sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";
    public const string AccountIdClaim = "account_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var token = header["Bearer ".Length..].Trim();
        var session = await sessions.ValidateAsync(token, Context.RequestAborted);
        if (session is null)
        {
            return AuthenticateResult.Fail("The bearer token is unknown, expired or revoked.");
        }

        Context.Features.Set(session);
        var identity = new ClaimsIdentity(
            [new Claim(AccountIdClaim, session.AccountId), new Claim(ClaimTypes.Name, session.Account.Username)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure;
        Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        var problem = ProblemWriter.Create(
            Context,
            ProblemTypes.Unauthorized,
            failure?.Message ?? "Send Authorization: Bearer <token> with a token from POST /api/v1/sessions.");
        return ProblemWriter.WriteAsync(Context, problem);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, ProblemWriter.Create(Context, ProblemTypes.Forbidden, null));
}

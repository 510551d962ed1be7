using System.Security.Claims;
using System.Text.Encodings.Web;
using Gateway.Api.Problems;
using Gateway.Core.Accounts;
using Gateway.Core.Push;
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
    SessionService sessions,
    EventTickets tickets)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";
    public const string AccountIdClaim = "account_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return await FromTicketAsync();
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

        return Success(session);
    }

    /// <summary>The event stream also accepts <c>?ticket=</c> (browsers' EventSource sends no headers): a single-use
    /// ticket from <c>POST .../events/ticket</c>, never a bearer token in the URL.</summary>
    private async Task<AuthenticateResult> FromTicketAsync()
    {
        if (!HttpMethods.IsGet(Request.Method) || !Request.Query.TryGetValue("ticket", out var values)
            || Request.Path.Value is not { } path || !path.EndsWith("/events", StringComparison.Ordinal))
        {
            return AuthenticateResult.NoResult();
        }

        var session = await tickets.RedeemAsync(values.ToString(), Context.RequestAborted);
        return session is null
            ? AuthenticateResult.Fail("The ticket is unknown, expired or already used: get a new one from POST .../events/ticket.")
            : Success(session);
    }

    private AuthenticateResult Success(AccountSession session)
    {
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

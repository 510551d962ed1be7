using Gateway.Core.Accounts;
using Gateway.Core.Errors;

namespace Gateway.Api.Auth;

public static class HttpContextAccountExtensions
{
    /// <summary>The caller's session, set by <see cref="BearerAuthenticationHandler"/>.</summary>
    public static AccountSession GetAccountSession(this HttpContext context) =>
        context.Features.Get<AccountSession>() ?? throw new InvalidOperationException("The endpoint is not behind [Authorize].");

    /// <summary>The caller's session, after checking that <paramref name="accountId"/> (a path segment) is <c>me</c> or
    /// the caller's own account id; any other account answers 404 so ids of others are never confirmed.</summary>
    public static AccountSession GetAccountSession(this HttpContext context, string accountId)
    {
        var session = context.GetAccountSession();
        if (accountId != "me" && !string.Equals(accountId, session.AccountId, StringComparison.Ordinal))
        {
            throw new AccountNotFoundException("The account does not exist or is not the caller's; use 'me'.");
        }

        return session;
    }
}

namespace Gateway.Api.Sessions;

/// <summary>Log in with a password or an OAuth 2.0 access token (XOAUTH2); give exactly one of them.</summary>
/// <param name="Username">The IMAP user name, usually the e-mail address.</param>
/// <param name="Password">The IMAP password.</param>
/// <param name="AccessToken">An OAuth 2.0 access token for SASL XOAUTH2.</param>
public sealed record CreateSessionRequest(string Username, string? Password = null, string? AccessToken = null);

/// <summary>A new session.</summary>
/// <param name="Token">The bearer token: send it as <c>Authorization: Bearer &lt;token&gt;</c>. Shown only once.</param>
/// <param name="AccountId">The caller's account id (<c>me</c> is an alias for it in every path).</param>
/// <param name="ExpiresAt">When the session ends if unused; each use extends it up to its maximum lifetime.</param>
public sealed record SessionResponse(string Token, string AccountId, DateTimeOffset ExpiresAt);

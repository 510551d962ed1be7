using Gateway.Core.Imap;

namespace Gateway.Core.Accounts;

/// <summary>An authenticated caller: the account it acts as and when its session ends.</summary>
/// <param name="AccountId">Opaque, stable id of the IMAP account (same on every instance and after restarts).</param>
/// <param name="Account">The IMAP account with the secret needed to open connections.</param>
/// <param name="TokenHash">Hash of the bearer token; identifies the session without revealing the token.</param>
/// <param name="ExpiresAt">When the session ends unless used again (capped by its maximum lifetime).</param>
public sealed record AccountSession(string AccountId, ImapAccount Account, string TokenHash, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"AccountSession {{ AccountId = {AccountId}, Account = {Account} }}";
}

/// <summary>A session just created: the bearer token is shown once and never stored.</summary>
public sealed record CreatedSession(string Token, AccountSession Session, ImapServerInfo Server)
{
    public override string ToString() => $"CreatedSession {{ AccountId = {Session.AccountId} }}";
}

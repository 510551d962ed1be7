namespace Gateway.Core.Imap;

/// <summary>How an account proves who it is to the IMAP server.</summary>
public enum ImapAuthMethod
{
    /// <summary>SASL PLAIN/LOGIN with a password.</summary>
    Password,

    /// <summary>SASL XOAUTH2 with an OAuth 2.0 access token.</summary>
    OAuth2,
}

/// <summary>
/// Identifies one pool of interchangeable IMAP connections: a connection authenticated for one key can never serve
/// another (IMAP has no re-authentication).
/// </summary>
public readonly record struct ImapAccountKey(string Host, int Port, ImapSecurity Security, string Username, ImapAuthMethod Method)
{
    /// <summary>A log-safe rendering (no secret is part of the key).</summary>
    public override string ToString() => $"{Username}@{Host}:{Port}/{Method}";
}

/// <summary>An account with the secret needed to open more connections for it.</summary>
/// <remarks><see cref="ToString"/> never prints the secret.</remarks>
public sealed class ImapAccount
{
    public ImapAccount(ImapAccountKey key, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(key.Username);
        ArgumentNullException.ThrowIfNull(secret);
        Key = key;
        Secret = secret;
    }

    public ImapAccountKey Key { get; }

    /// <summary>The password or the access token, depending on <see cref="ImapAccountKey.Method"/>.</summary>
    public string Secret { get; }

    public string Username => Key.Username;

    public override string ToString() => Key.ToString();
}

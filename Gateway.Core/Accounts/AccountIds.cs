using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Imap;

namespace Gateway.Core.Accounts;

/// <summary>Derives opaque, URL-safe ids that are the same on every instance and after restarts.</summary>
public static class AccountIds
{
    /// <summary>The id of an IMAP account: a hash of server, user name and auth method (22 URL-safe characters).</summary>
    public static string For(ImapAccountKey key) =>
        Hash($"account\n{key.Host.ToLowerInvariant()}\n{key.Port}\n{key.Username}\n{key.Method}");

    /// <summary>A 128-bit hash of <paramref name="text"/> as 22 base64url characters.</summary>
    public static string Hash(string text)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Base64Url.EncodeToString(digest[..16]);
    }
}

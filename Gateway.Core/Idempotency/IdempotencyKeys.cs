using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Errors;

namespace Gateway.Core.Idempotency;

/// <summary>The <c>Idempotency-Key</c> header: what a valid key is, and where its record lives.</summary>
public static class IdempotencyKeys
{
    /// <summary>The header's name.</summary>
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Longest key accepted.</summary>
    public const int MaxLength = 255;

    /// <summary>How long a key's record (and so the first answer) is kept.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>True for 1 to 255 printable ASCII characters (space to tilde).</summary>
    public static bool IsValid(string? key) =>
        key is { Length: > 0 and <= MaxLength } && key.All(c => c is >= ' ' and <= '~');

    /// <summary>Throws 400 unless <paramref name="key"/> is valid.</summary>
    /// <exception cref="RequestValidationException">Not a valid key.</exception>
    public static void Validate(string key)
    {
        if (!IsValid(key))
        {
            throw RequestValidationException.For(HeaderName, $"{HeaderName} must be 1 to {MaxLength} printable ASCII characters.");
        }
    }

    /// <summary>The store key of one account's key for one operation: the key itself never appears in clear.</summary>
    public static string StoreKey(string operation, string accountId, string key) =>
        $"idem:{operation}:{accountId}:{Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(key)))}";
}

namespace Gateway.Core.Accounts;

/// <summary>Authenticated encryption of stored credentials. The host provides it (ASP.NET Core Data Protection).</summary>
public interface ISecretProtector
{
    byte[] Protect(byte[] plaintext);

    /// <summary>Decrypts; throws <see cref="System.Security.Cryptography.CryptographicException"/> when the data was
    /// tampered with or the key is gone.</summary>
    byte[] Unprotect(byte[] protectedData);
}

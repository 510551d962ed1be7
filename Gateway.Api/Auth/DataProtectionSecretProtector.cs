using Gateway.Core.Accounts;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Auth;

/// <summary>Encrypts stored IMAP credentials with ASP.NET Core Data Protection (keys in Redis when configured).</summary>
public sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("Gateway.Sessions.Credentials.v1");

    public byte[] Protect(byte[] plaintext) => _protector.Protect(plaintext);

    public byte[] Unprotect(byte[] protectedData) => _protector.Unprotect(protectedData);
}

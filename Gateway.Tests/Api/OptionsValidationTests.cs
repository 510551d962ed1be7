using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Pool:MaxConnectionsPerAccount", "0", "MaxConnectionsPerAccount")]
    [InlineData("Imap:Port", "70000", "Port")]
    [InlineData("Imap:Host", "", "Host")]
    [InlineData("Pool:IdleTimeout", "00:00:00", "IdleTimeout")]
    public void Startup_BadOption_FailsNamingTheKey(string key, string value, string expectedName)
    {
        using var app = new GatewayApplication(s => s[key] = value);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(error.GetBaseException() as OptionsValidationException ?? error);
        Assert.Contains(expectedName, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_UnparsableEnum_FailsNamingTheKey()
    {
        using var app = new GatewayApplication(s => s["Imap:Security"] = "Sometimes");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Imap:Security", error.ToString(), StringComparison.Ordinal);
    }
}

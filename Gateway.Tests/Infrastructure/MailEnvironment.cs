namespace Gateway.Tests.Infrastructure;

/// <summary>Where the local Dovecot and Redis started by <c>scripts/mailenv.sh up</c> listen; overridable by the
/// same environment variables that script prints with <c>env</c>.</summary>
public static class MailEnvironment
{
    public static string ImapHost => Env("Imap__Host", "127.0.0.1");

    public static int ImapPort => int.Parse(Env("Imap__Port", "10143"), System.Globalization.CultureInfo.InvariantCulture);

    public static int ImapsPort => int.Parse(Env("GATEWAY_IMAPS_PORT", "10993"), System.Globalization.CultureInfo.InvariantCulture);

    public static string RedisConfiguration => Env("Redis__Configuration", "127.0.0.1:16379");

    public static string DovecotConfig => Env("GATEWAY_DOVECOT_CONF", "/var/tmp/imap-gateway/dovecot/dovecot.conf");

    public static string TestPassword => Env("GATEWAY_TEST_PASSWORD", "test-password");

    public static string QuoteUser => Env("GATEWAY_QUOTE_USER", "quoter@example.test");

    public static string QuotePassword => Env("GATEWAY_QUOTE_PASSWORD", "p \"q\" \\b\\ s' x");

    /// <summary>A fresh user for one test: Dovecot accepts any <c>t-*</c> name with the test password.</summary>
    public static string NewUser(string? hint = null) =>
        $"t-{(hint is null ? string.Empty : hint + "-")}{Guid.NewGuid():N}@test";

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}

/// <summary>Access tokens for the local Dovecot's XOAUTH2 (JWTs validated locally with the fixture HS256 key).</summary>
public static class TestJwt
{
    public static string Key => Environment.GetEnvironmentVariable("GATEWAY_OAUTH2_HS256_KEY") is { Length: > 0 } key
        ? key
        : "imap-gateway-local-oauth2-test-key-0123456789";

    public static string Create(string subject, TimeSpan lifetime, string? key = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Encode("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = Encode(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["iat"] = now - 5,
            ["nbf"] = now - 5,
            ["exp"] = now + (long)lifetime.TotalSeconds,
        }));
        var signature = System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(key ?? Key),
            System.Text.Encoding.ASCII.GetBytes(header + "." + payload));
        return header + "." + payload + "." + Encode(signature);
    }

    private static string Encode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

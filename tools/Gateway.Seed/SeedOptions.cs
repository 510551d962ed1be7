using System.Globalization;
using MailKit.Security;

namespace Gateway.Seed;

/// <summary>Command-line options. Parsed by hand: a dozen flags do not need a CLI library.</summary>
internal sealed class SeedOptions
{
    public const string DefaultDovecotConfig = "/var/tmp/imap-gateway/dovecot/dovecot.conf";

    public const string Usage = """
        Fills a mailbox with realistic generated mail and/or a folder of real .eml files.

        usage: Gateway.Seed --user USER [--mailbox NAME] [--count N] [--corpus DIR] [--seed N] [--if-empty]
                            [--dovecot-conf PATH] [--no-index] [--parallel N]
               Gateway.Seed --via-imap --user USER --password PW [--host H] [--port P] [--security none|starttls|ssl]
                            [--allow-invalid-certificates] [--batch N] [--mailbox NAME] [--count N] [--corpus DIR] ...

          --user USER            mailbox owner (login name)
          --mailbox NAME         mailbox to fill, created if missing; hierarchy separator as the server has it (default INBOX)
          --count N              generated messages (default 1000, or 0 when --corpus is given)
          --corpus DIR           also import every *.eml file of DIR, byte for byte, after the generated ones
          --seed N               generator seed; the same seed gives the same messages (default 42)
          --if-empty             do nothing when the mailbox already holds messages
          --dovecot-conf PATH    local Dovecot config for doveadm (default $GATEWAY_DOVECOT_CONF or
                                 /var/tmp/imap-gateway/dovecot/dovecot.conf)
          --no-index             skip `doveadm index` (the first IMAP access then builds the cache)
          --parallel N           generator threads (default: processor count)
          --via-imap             APPEND over IMAP (MULTIAPPEND batches) instead of writing Maildir files
          --host H, --port P     IMAP server (default 127.0.0.1:143)
          --password PW          IMAP password (default $GATEWAY_SEED_PASSWORD)
          --security MODE        none (default), starttls or ssl
          --allow-invalid-certificates  accept a self-signed server certificate
          --batch N              messages per APPEND command (default 200)
        """;

    public required string User { get; init; }

    public string Mailbox { get; init; } = "INBOX";

    public int Count { get; init; }

    public string? CorpusDirectory { get; init; }

    public int Seed { get; init; } = 42;

    public bool IfEmpty { get; init; }

    public string DovecotConfig { get; init; } = DefaultDovecotConfig;

    public bool Index { get; init; } = true;

    public int Parallelism { get; init; } = Environment.ProcessorCount;

    public bool ViaImap { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 143;

    public string? Password { get; init; }

    public SecureSocketOptions Security { get; init; } = SecureSocketOptions.None;

    public bool AllowInvalidCertificates { get; init; }

    public int BatchSize { get; init; } = 200;

    /// <summary>Parses the arguments; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown flag, a missing value or a bad number.</exception>
    public static SeedOptions? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);

        string? user = null, mailbox = null, corpus = null, host = null, password = null, security = null;
        string? dovecotConfig = Environment.GetEnvironmentVariable("GATEWAY_DOVECOT_CONF");
        int? count = null, seed = null, parallel = null, port = null, batch = null;
        bool ifEmpty = false, noIndex = false, viaImap = false, allowInvalid = false;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help": return null;
                case "--user": user = Value(); break;
                case "--mailbox": mailbox = Value(); break;
                case "--count": count = Number(0); break;
                case "--corpus": corpus = Value(); break;
                case "--seed": seed = Number(int.MinValue); break;
                case "--if-empty": ifEmpty = true; break;
                case "--dovecot-conf": dovecotConfig = Value(); break;
                case "--no-index": noIndex = true; break;
                case "--parallel": parallel = Number(1); break;
                case "--via-imap": viaImap = true; break;
                case "--host": host = Value(); break;
                case "--port": port = Number(1); break;
                case "--password": password = Value(); break;
                case "--security": security = Value(); break;
                case "--allow-invalid-certificates": allowInvalid = true; break;
                case "--batch": batch = Number(1); break;
                default: throw new ArgumentException($"Unknown argument '{arg}'.");
            }

            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");

            int Number(int min) =>
                int.TryParse(Value(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n
                    : throw new ArgumentException($"{arg} needs a whole number of at least {min}.");
        }

        if (string.IsNullOrWhiteSpace(user))
        {
            throw new ArgumentException("--user is required.");
        }

        password ??= Environment.GetEnvironmentVariable("GATEWAY_SEED_PASSWORD");
        if (viaImap && string.IsNullOrEmpty(password))
        {
            throw new ArgumentException("--via-imap needs --password (or GATEWAY_SEED_PASSWORD).");
        }

        return new SeedOptions
        {
            User = user,
            Mailbox = string.IsNullOrEmpty(mailbox) ? "INBOX" : mailbox,
            Count = count ?? (corpus is null ? 1000 : 0),
            CorpusDirectory = corpus,
            Seed = seed ?? 42,
            IfEmpty = ifEmpty,
            DovecotConfig = string.IsNullOrEmpty(dovecotConfig) ? DefaultDovecotConfig : dovecotConfig,
            Index = !noIndex,
            Parallelism = parallel ?? Environment.ProcessorCount,
            ViaImap = viaImap,
            Host = host ?? "127.0.0.1",
            Port = port ?? 143,
            Password = password,
            Security = security?.ToUpperInvariant() switch
            {
                null or "NONE" => SecureSocketOptions.None,
                "STARTTLS" => SecureSocketOptions.StartTls,
                "SSL" or "TLS" => SecureSocketOptions.SslOnConnect,
                _ => throw new ArgumentException("--security must be none, starttls or ssl."),
            },
            AllowInvalidCertificates = allowInvalid,
            BatchSize = batch ?? 200,
        };
    }
}

using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Imap;

/// <summary>How the gateway reaches the IMAP server (configuration section <c>Imap</c>).</summary>
public sealed class ImapOptions : IValidatableObject
{
    public const string SectionName = "Imap";

    /// <summary>Host name or address of the IMAP server.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 143 for <see cref="ImapSecurity.None"/> and <see cref="ImapSecurity.StartTls"/>, 993 for TLS.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 143;

    /// <summary>Transport security.</summary>
    public ImapSecurity Security { get; set; } = ImapSecurity.StartTls;

    /// <summary>Accept any server certificate. Only for test servers with self-signed certificates.</summary>
    public bool AllowInvalidCertificates { get; set; }

    /// <summary>Longest wait for the TCP connect, TLS and greeting.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// IMAP extensions to ignore although the server advertises them, comma-separated (e.g. <c>QRESYNC,CONDSTORE</c>):
    /// a workaround for servers whose implementation is broken, and how the tests exercise the fallbacks. Known names:
    /// CONDSTORE, QRESYNC, SORT, ESEARCH, MOVE, PREVIEW, LIST-STATUS, SPECIAL-USE, UTF8=ACCEPT, BINARY, UIDPLUS, NOTIFY, IDLE.
    /// </summary>
    public string? DisabledExtensions { get; set; }

    /// <summary>Longest wait for any single IMAP response; past it the request answers 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? error = null;
        try
        {
            ImapClientFactory.ParseDisabled(DisabledExtensions);
        }
        catch (ArgumentException ex)
        {
            error = ex.Message;
        }

        if (error is not null)
        {
            yield return new ValidationResult(error, [nameof(DisabledExtensions)]);
        }
    }
}

/// <summary>Transport security towards the IMAP server.</summary>
public enum ImapSecurity
{
    /// <summary>Plain text. Only for servers on loopback or a trusted network.</summary>
    None,

    /// <summary>Plain connect, then STARTTLS (required).</summary>
    StartTls,

    /// <summary>TLS from the first byte (usually port 993).</summary>
    SslOnConnect,
}

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Gateway.Core.Errors;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Imap;

/// <summary>Opens MailKit <see cref="ImapClient"/>s: connect, authenticate, enable QRESYNC and UTF8=ACCEPT.</summary>
/// <remarks>
/// <para>Host, port and security come from the account's key; <see cref="ImapOptions"/> supplies the timeouts and
/// <see cref="ImapOptions.AllowInvalidCertificates"/>.</para>
/// <para>A connect (TCP, TLS, greeting) that exceeds <see cref="ImapOptions.ConnectTimeout"/> is reported as
/// <see cref="UpstreamUnavailableException"/> (503 with Retry-After), not as a 504: the server could not be reached,
/// no request of the caller was started. A timeout after connecting (during login) is an
/// <see cref="UpstreamTimeoutException"/>.</para>
/// <para>Dovecot answers a login beyond <c>mail_max_userip_connections</c> with <c>NO [LIMIT]</c>. MailKit 4.18.2 turns
/// every failed AUTHENTICATE into the same <c>AuthenticationException("Authentication failed.")</c> (and, when left to
/// try every mechanism, retries with LOGIN, which Dovecot answers by closing the connection: an
/// <see cref="ImapProtocolException"/>; hence one mechanism only, see <c>PickPasswordMechanism</c>).
/// The <see cref="CommandCountingProtocolLogger"/> therefore records the response code of the rejection, and a
/// <c>LIMIT</c>/<c>UNAVAILABLE</c>/<c>INUSE</c> code maps to <see cref="UpstreamUnavailableException"/>.</para>
/// </remarks>
public sealed class ImapClientFactory : IImapClientFactory
{
    private static readonly string[] PasswordMechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"];

    private readonly ImapOptions _options;
    private readonly ILogger<ImapClientFactory> _logger;

    public ImapClientFactory(IOptions<ImapOptions> options, ILogger<ImapClientFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Source address to connect from; null lets the OS choose. Tests bind a loopback address of their own:
    /// Dovecot's auth penalty is per source IP and delays every later login from it after one failed.</summary>
    internal IPEndPoint? LocalEndPoint { get; init; }

    /// <inheritdoc />
    public async Task<ImapClient> ConnectAsync(ImapAccount account, IImapCommandObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        var key = account.Key;
        var protocolLogger = new CommandCountingProtocolLogger(observer);
        var client = new ImapClient(protocolLogger)
        {
            Timeout = (int)Math.Clamp(_options.CommandTimeout.TotalMilliseconds, 1, int.MaxValue),
        };
        if (LocalEndPoint is not null)
        {
            client.LocalEndPoint = LocalEndPoint;
        }

        if (_options.AllowInvalidCertificates)
        {
            // Explicit opt-in for test servers with self-signed certificates (PITFALLS 12): an untrusted chain or a
            // wrong name is accepted, a missing certificate still is not. Otherwise MailKit's default validation applies.
            client.ServerCertificateValidationCallback = static (_, _, _, errors) =>
                (errors & ~(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)) == SslPolicyErrors.None;
        }

        bool success = false;
        try
        {
            await ConnectCoreAsync(client, key, cancellationToken);
            await AuthenticateAsync(client, protocolLogger, account, cancellationToken);
            await EnableExtensionsAsync(client, key, cancellationToken);
            success = true;
            return client;
        }
        finally
        {
            if (!success)
            {
                client.Dispose();
            }
        }
    }

    private async Task ConnectCoreAsync(ImapClient client, ImapAccountKey key, CancellationToken cancellationToken)
    {
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await client.ConnectAsync(key.Host, key.Port, ToSocketOptions(key.Security), connectTimeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(key, $"connect timed out after {_options.ConnectTimeout}", ex);
        }
        catch (TimeoutException ex)
        {
            throw Unreachable(key, "connect timed out", ex);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            throw Unreachable(key, ex.GetType().Name, ex);
        }
        catch (SslHandshakeException ex)
        {
            _logger.ConnectFailed(key, "TLS handshake failed");
            throw new UpstreamProtocolException($"TLS with the IMAP server {key.Host}:{key.Port} failed (certificate or protocol).", ex);
        }
        catch (ImapProtocolException ex) when (ImapErrors.IsDroppedConnection(ex))
        {
            // Closed before or during the greeting (a restarting server, a proxy): an outage, not a broken server.
            throw Unreachable(key, "connection closed during the greeting", ex);
        }
        catch (Exception ex) when (ex is ImapProtocolException or NotSupportedException)
        {
            // NotSupportedException: StartTls requested but the server does not offer STARTTLS.
            _logger.ConnectFailed(key, ex.GetType().Name);
            throw new UpstreamProtocolException($"The IMAP server {key.Host}:{key.Port} did not greet as expected.", ex);
        }
    }

    private async Task AuthenticateAsync(
        ImapClient client, CommandCountingProtocolLogger protocolLogger, ImapAccount account, CancellationToken cancellationToken)
    {
        var key = account.Key;
        protocolLogger.WatchTaggedResponses = true;
        try
        {
            if (key.Method == ImapAuthMethod.OAuth2)
            {
                await client.AuthenticateAsync(new SaslMechanismOAuth2(account.Username, account.Secret), cancellationToken);
            }
            else
            {
                var credential = new NetworkCredential(account.Username, account.Secret);
                if (PickPasswordMechanism(client, credential) is { } mechanism)
                {
                    await client.AuthenticateAsync(mechanism, cancellationToken);
                }
                else
                {
                    // No SASL mechanism we know: MailKit falls back to the LOGIN command.
                    await client.AuthenticateAsync(credential, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (IsServerBusy(protocolLogger.LastRejectionCode)
            && ex is AuthenticationException or ImapProtocolException or IOException)
        {
            _logger.ServerConnectionLimit(key, protocolLogger.LastRejectionCode);
            throw new UpstreamUnavailableException(
                $"The IMAP server refused another connection for {key.Username}: its connection limit is reached.",
                ImapErrors.UnavailableRetryAfter,
                ex) { ImapCode = protocolLogger.LastRejectionCode };
        }
        catch (Exception ex) when (ex is AuthenticationException or SaslException)
        {
            _logger.LoginRefused(key, protocolLogger.LastRejectionCode);
            throw new UpstreamAuthenticationException($"The IMAP server refused the credentials of {key.Username}.", ex)
            {
                ImapCode = protocolLogger.LastRejectionCode,
            };
        }
        catch (Exception ex) when (ImapErrors.Translate(ex, key) is { } translated)
        {
            _logger.ConnectFailed(key, ex.GetType().Name);
            throw translated;
        }
        finally
        {
            protocolLogger.WatchTaggedResponses = false;
        }
    }

    /// <summary>The capability bits named by <see cref="ImapOptions.DisabledExtensions"/>.</summary>
    internal static ImapCapabilities ParseDisabled(string? names)
    {
        var mask = ImapCapabilities.None;
        foreach (var name in (names ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            mask |= name.ToUpperInvariant() switch
            {
                "CONDSTORE" => ImapCapabilities.CondStore | ImapCapabilities.QuickResync,
                "QRESYNC" => ImapCapabilities.QuickResync,
                "SORT" => ImapCapabilities.Sort | ImapCapabilities.ESort,
                "ESEARCH" => ImapCapabilities.ESearch,
                "MOVE" => ImapCapabilities.Move,
                "PREVIEW" => ImapCapabilities.Preview,
                "LIST-STATUS" => ImapCapabilities.ListStatus,
                "SPECIAL-USE" => ImapCapabilities.SpecialUse,
                "UTF8=ACCEPT" => ImapCapabilities.UTF8Accept,
                "BINARY" => ImapCapabilities.Binary,
                "UIDPLUS" => ImapCapabilities.UidPlus,
                "NOTIFY" => ImapCapabilities.Notify,
                "IDLE" => ImapCapabilities.Idle,
                _ => throw new ArgumentException($"Imap:DisabledExtensions names an unknown extension '{name}'."),
            };
        }

        return mask;
    }

    private async Task EnableExtensionsAsync(ImapClient client, ImapAccountKey key, CancellationToken cancellationToken)
    {
        client.Capabilities &= ~ParseDisabled(_options.DisabledExtensions);

        // Both must be enabled right after login, before any SELECT (PITFALLS 7). A NO leaves the connection usable.
        try
        {
            if (client.Capabilities.HasFlag(ImapCapabilities.QuickResync))
            {
                await client.EnableQuickResyncAsync(cancellationToken);
            }
        }
        catch (ImapCommandException ex)
        {
            _logger.EnableFailed("QRESYNC", key, ex.Response.ToString());
        }

        try
        {
            if (client.Capabilities.HasFlag(ImapCapabilities.UTF8Accept))
            {
                await client.EnableUTF8Async(cancellationToken);
            }
        }
        catch (ImapCommandException ex)
        {
            _logger.EnableFailed("UTF8=ACCEPT", key, ex.Response.ToString());
        }
        catch (Exception ex) when (ImapErrors.Translate(ex, key) is { } translated)
        {
            throw translated;
        }
    }

    private UpstreamUnavailableException Unreachable(ImapAccountKey key, string reason, Exception inner)
    {
        _logger.ConnectFailed(key, reason);
        return new UpstreamUnavailableException(
            $"The IMAP server {key.Host}:{key.Port} cannot be reached.", ImapErrors.UnavailableRetryAfter, inner);
    }

    /// <summary>
    /// One mechanism, the strongest offered. MailKit's <c>AuthenticateAsync(ICredentials)</c> tries every offered
    /// mechanism in turn: a wrong password then costs several failed attempts (three against Dovecot), each feeding the
    /// server's per-IP auth penalty and lockout counters, and after the NO [LIMIT] on PLAIN its retry with LOGIN makes
    /// Dovecot hang up.
    /// </summary>
    private static SaslMechanism? PickPasswordMechanism(ImapClient client, NetworkCredential credential)
    {
        foreach (string name in PasswordMechanisms)
        {
            if (client.AuthenticationMechanisms.Contains(name) && SaslMechanism.IsSupported(name))
            {
                return SaslMechanism.Create(name, credential);
            }
        }

        return null;
    }

    private static bool IsServerBusy(string? responseCode) =>
        responseCode is "LIMIT" or "UNAVAILABLE" or "INUSE";

    private static SecureSocketOptions ToSocketOptions(ImapSecurity security) => security switch
    {
        ImapSecurity.None => SecureSocketOptions.None,
        ImapSecurity.StartTls => SecureSocketOptions.StartTls,
        ImapSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(security), security, "Unknown IMAP security."),
    };
}

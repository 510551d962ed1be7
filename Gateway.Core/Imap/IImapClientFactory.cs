using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>Opens connected, authenticated MailKit clients. Wrap it in tests to observe or fault connections.</summary>
public interface IImapClientFactory
{
    /// <summary>
    /// Connects to the server named by <paramref name="account"/>'s key, authenticates and enables QRESYNC and
    /// UTF8=ACCEPT when offered.
    /// </summary>
    /// <param name="account">Server, security, user and secret.</param>
    /// <param name="observer">Receives command and byte counts of the new connection; null for none.</param>
    /// <param name="cancellationToken">Abandons the attempt (the half-open client is disposed).</param>
    /// <returns>A client the caller owns.</returns>
    /// <exception cref="Errors.UpstreamUnavailableException">Unreachable, connect timed out, or the server's
    /// per-user connection limit is reached.</exception>
    /// <exception cref="Errors.UpstreamAuthenticationException">The server refused the credentials.</exception>
    /// <exception cref="Errors.UpstreamProtocolException">TLS failed or the server spoke something unexpected.</exception>
    /// <exception cref="Errors.UpstreamTimeoutException">The server stopped answering after the connection was made.</exception>
    Task<ImapClient> ConnectAsync(ImapAccount account, IImapCommandObserver? observer, CancellationToken cancellationToken);
}

using System.Net.Sockets;
using Gateway.Core.Errors;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>Translation of transport-level MailKit failures into gateway errors.</summary>
public static class ImapErrors
{
    /// <summary>Retry-After for an unreachable server, a dropped connection or the server's connection limit.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Retry-After when our own pool has no free connection.</summary>
    public static readonly TimeSpan PoolSaturatedRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>The text of the <see cref="ImapProtocolException"/> MailKit throws when a read finds the end of the
    /// stream (checked against MailKit 4.18.2, <c>ImapStream.ReadAheadAsync</c>); MailKit has no own type for it.</summary>
    internal const string UnexpectedDisconnectMessage = "The IMAP server has unexpectedly disconnected.";

    /// <summary>True for failures after which the connection is gone (PITFALLS 3): worth a retry on a fresh one.</summary>
    internal static bool IsConnectionFailure(Exception exception) =>
        exception is IOException or SocketException or ImapProtocolException or ServiceNotConnectedException;

    /// <summary>
    /// True when the connection was lost rather than abused: an I/O or socket error (a reset), a client that is no
    /// longer connected, or MailKit's <see cref="ImapProtocolException"/> for an unexpected end of stream (the server
    /// or something between closed the connection, possibly mid-command). False for a real protocol violation
    /// (garbage from the server), which MailKit reports with the same exception type and another text.
    /// </summary>
    public static bool IsDroppedConnection(Exception exception) => exception switch
    {
        IOException or SocketException or ServiceNotConnectedException => true,
        ImapProtocolException e => e.InnerException is IOException or SocketException
            || string.Equals(e.Message, UnexpectedDisconnectMessage, StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>Maps a connection-level failure; returns null for exceptions that pass through untranslated. A dropped
    /// connection (<see cref="IsDroppedConnection"/>) is a retryable outage (503 with Retry-After) for every operation:
    /// what the server did with a command in flight is the operation's to say (it wraps this error when it knows).</summary>
    internal static GatewayException? Translate(Exception exception, ImapAccountKey key) => exception switch
    {
        GatewayException => null,
        ImapCommandException => null,
        TimeoutException => new UpstreamTimeoutException($"The IMAP server {key.Host}:{key.Port} did not answer in time.", exception),
        _ when IsDroppedConnection(exception) && exception is ImapProtocolException => new UpstreamUnavailableException(
            $"The connection to the IMAP server {key.Host}:{key.Port} dropped.", UnavailableRetryAfter, exception),
        ImapProtocolException => new UpstreamProtocolException(
            $"The IMAP server {key.Host}:{key.Port} broke the protocol.", exception),
        IOException or SocketException or ServiceNotConnectedException => new UpstreamUnavailableException(
            $"The IMAP server {key.Host}:{key.Port} cannot be reached.", UnavailableRetryAfter, exception),
        _ => null,
    };
}

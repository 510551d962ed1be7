using System.Net.Sockets;
using Gateway.Core.Errors;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>Translation of transport-level MailKit failures into gateway errors.</summary>
internal static class ImapErrors
{
    /// <summary>Retry-After for an unreachable server or its connection limit.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Retry-After when our own pool has no free connection.</summary>
    public static readonly TimeSpan PoolSaturatedRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>True for failures after which the connection is gone (PITFALLS 3): worth a retry on a fresh one.</summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is IOException or SocketException or ImapProtocolException or ServiceNotConnectedException;

    /// <summary>Maps a connection-level failure; returns null for exceptions that pass through untranslated.</summary>
    public static GatewayException? Translate(Exception exception, ImapAccountKey key) => exception switch
    {
        GatewayException => null,
        ImapCommandException => null,
        TimeoutException => new UpstreamTimeoutException($"The IMAP server {key.Host}:{key.Port} did not answer in time.", exception),
        ImapProtocolException => new UpstreamProtocolException(
            $"The IMAP server {key.Host}:{key.Port} broke the protocol or dropped the connection.", exception),
        IOException or SocketException or ServiceNotConnectedException => new UpstreamUnavailableException(
            $"The IMAP server {key.Host}:{key.Port} cannot be reached.", UnavailableRetryAfter, exception),
        _ => null,
    };
}

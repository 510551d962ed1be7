namespace Gateway.Core.Imap;

/// <summary>Names of the IMAP pool's meter, instruments and tags (OpenTelemetry naming).</summary>
public static class ImapMetricNames
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name to subscribe to.</summary>
    public const string MeterName = "Gateway.Imap";

    public const string Logins = "gateway.imap.logins";
    public const string LoginFailures = "gateway.imap.login_failures";
    public const string Leases = "gateway.imap.leases";
    public const string ConnectionsOpened = "gateway.imap.connections.opened";
    public const string ConnectionsClosed = "gateway.imap.connections.closed";
    public const string ConnectionsDiscarded = "gateway.imap.connections.discarded";
    public const string Commands = "gateway.imap.commands";
    public const string BytesRead = "gateway.imap.bytes_read";

    /// <summary>Histogram, seconds a caller waited for a lease.</summary>
    public const string LeaseWait = "gateway.imap.lease.wait";

    /// <summary>Observable gauge: open connections (idle plus leased).</summary>
    public const string OpenConnections = "gateway.imap.connections.open";

    /// <summary>Observable gauge: leased connections.</summary>
    public const string LeasedConnections = "gateway.imap.connections.leased";

    /// <summary>Tag on <see cref="Commands"/>: the IMAP command name, e.g. <c>UID FETCH</c>.</summary>
    public const string CommandTag = "command";
}

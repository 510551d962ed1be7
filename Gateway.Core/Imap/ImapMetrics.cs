using System.Diagnostics.Metrics;

namespace Gateway.Core.Imap;

/// <summary>The instruments of the <see cref="ImapMetricNames.MeterName"/> meter.</summary>
internal sealed class ImapMetrics : IDisposable
{
    private readonly bool _ownsMeter;

    public ImapMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(ImapMetricNames.MeterName) ?? new Meter(ImapMetricNames.MeterName);
        Logins = Meter.CreateCounter<long>(ImapMetricNames.Logins, "{login}", "Successful IMAP logins.");
        LoginFailures = Meter.CreateCounter<long>(ImapMetricNames.LoginFailures, "{login}", "Failed connects or logins.");
        Leases = Meter.CreateCounter<long>(ImapMetricNames.Leases, "{lease}", "Connections handed out.");
        ConnectionsOpened = Meter.CreateCounter<long>(ImapMetricNames.ConnectionsOpened, "{connection}");
        ConnectionsClosed = Meter.CreateCounter<long>(ImapMetricNames.ConnectionsClosed, "{connection}");
        ConnectionsDiscarded = Meter.CreateCounter<long>(
            ImapMetricNames.ConnectionsDiscarded, "{connection}", "Connections dropped because they failed or were unsafe to reuse.");
        Commands = Meter.CreateCounter<long>(ImapMetricNames.Commands, "{command}", "IMAP commands sent, by name.");
        BytesRead = Meter.CreateCounter<long>(ImapMetricNames.BytesRead, "By", "Bytes received from IMAP servers.");
        LeaseWait = Meter.CreateHistogram<double>(ImapMetricNames.LeaseWait, "s", "Time a caller waited for a connection.");
    }

    public Meter Meter { get; }

    public Counter<long> Logins { get; }

    public Counter<long> LoginFailures { get; }

    public Counter<long> Leases { get; }

    public Counter<long> ConnectionsOpened { get; }

    public Counter<long> ConnectionsClosed { get; }

    public Counter<long> ConnectionsDiscarded { get; }

    public Counter<long> Commands { get; }

    public Counter<long> BytesRead { get; }

    public Histogram<double> LeaseWait { get; }

    public void ObserveGauges(Func<int> open, Func<int> leased)
    {
        Meter.CreateObservableGauge(ImapMetricNames.OpenConnections, open, "{connection}");
        Meter.CreateObservableGauge(ImapMetricNames.LeasedConnections, leased, "{connection}");
    }

    public void Dispose()
    {
        // A meter from IMeterFactory belongs to the factory (and may be shared): only dispose our own.
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}

using System.Diagnostics.Metrics;

namespace Gateway.Core.Messages.Cache;

/// <summary>The instruments of the <c>Gateway.Cache</c> meter: how listings were answered and what keeping the header
/// cache in step cost. IMAP command counts and bytes come from the <c>Gateway.Imap</c> meter.</summary>
public sealed class CacheMetrics : IDisposable
{
    public const string MeterName = "Gateway.Cache";

    private readonly bool _ownsMeter;
    private readonly Meter _meter;

    public CacheMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Hits = _meter.CreateCounter<long>("gateway.cache.hits", "{listing}", "Listing pages answered from the header cache.");
        Misses = _meter.CreateCounter<long>("gateway.cache.misses", "{listing}", "Listing pages answered from IMAP (cold, not yet filled, text search, or store down).");
        Refreshes = _meter.CreateCounter<long>("gateway.cache.delta_fetches", "{refresh}", "Cache refreshes that fetched a delta from IMAP.");
        Fills = _meter.CreateCounter<long>("gateway.cache.fills", "{fill}", "Background fills of a mailbox's headers started.");
        FilledMessages = _meter.CreateCounter<long>("gateway.cache.filled_messages", "{message}", "Summaries written by background fills.");
        BytesWritten = _meter.CreateCounter<long>("gateway.cache.bytes_written", "By", "Encoded summary bytes written to the cache.");
        StoreFailures = _meter.CreateCounter<long>("gateway.cache.store_failures", "{call}", "Cache calls that failed (Redis down); answered from IMAP.");
    }

    public Counter<long> Hits { get; }

    public Counter<long> Misses { get; }

    public Counter<long> Refreshes { get; }

    public Counter<long> Fills { get; }

    public Counter<long> FilledMessages { get; }

    public Counter<long> BytesWritten { get; }

    public Counter<long> StoreFailures { get; }

    public void Hit() => Hits.Add(1);

    public void Miss() => Misses.Add(1);

    public void Refreshed() => Refreshes.Add(1);

    public void FillStarted() => Fills.Add(1);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

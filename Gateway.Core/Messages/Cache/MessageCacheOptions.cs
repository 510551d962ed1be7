using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Messages.Cache;

/// <summary>The header cache (<c>Cache:*</c>).</summary>
public sealed class MessageCacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>A mailbox's cached headers are dropped after this long without use.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan IdleExpiry { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Messages fetched per UID FETCH while filling a cold mailbox in the background.</summary>
    /// <remarks>MailKit keeps ~5.6 KB of objects per fetched message until the command ends, so a batch in flight is
    /// alive at every gen0 collection of the fill, and what survives gen0 is what a collection costs. Measured over a
    /// 100k fill on 2 connections (bench B5): batches of 250 cost ~35-40 µs of gateway CPU per header, batches of 50
    /// ~29 µs. More round trips (2,000 for 100k) cost little: each connection always has its next batch in flight.</remarks>
    [Range(50, 5000)]
    public int FillBatchSize { get; set; } = 50;

    /// <summary>Pooled connections a background fill uses at once (fetching and mapping batches side by side, storing
    /// them in order). The second is taken only when the pool has one free within a second, so a fill never makes
    /// requests wait; <c>1</c> fills on one connection.</summary>
    [Range(1, 4)]
    public int FillConnections { get; set; } = 2;

    /// <summary>False turns the header cache off: every listing is answered from IMAP.</summary>
    public bool Enabled { get; set; } = true;
}

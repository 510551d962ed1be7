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
    /// <remarks>MailKit keeps ~5.6 KB of objects per fetched message until the command ends. Batches of 1000 (~5.6 MB
    /// alive while ~14 MB more is allocated) outlived the 16 MB gen0 budget, so every collection was a gen1 and a
    /// 100k fill ran ~25 gen2 collections; 250 keeps a batch short-lived (one gen2 per fill) at the price of more round
    /// trips (400 instead of 100 for 100k messages).</remarks>
    [Range(50, 5000)]
    public int FillBatchSize { get; set; } = 250;

    /// <summary>Pooled connections a background fill uses at once (fetching and mapping batches side by side, storing
    /// them in order). The second is taken only when the pool has one free within a second, so a fill never makes
    /// requests wait; <c>1</c> fills on one connection.</summary>
    [Range(1, 4)]
    public int FillConnections { get; set; } = 2;

    /// <summary>False turns the header cache off: every listing is answered from IMAP.</summary>
    public bool Enabled { get; set; } = true;
}

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
    [Range(50, 5000)]
    public int FillBatchSize { get; set; } = 1000;

    /// <summary>False turns the header cache off: every listing is answered from IMAP.</summary>
    public bool Enabled { get; set; } = true;
}

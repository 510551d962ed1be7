using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;

namespace Gateway.Tests.Cache;

public sealed class SummaryCodecTests
{
    [Fact]
    public void Round_trips_every_field()
    {
        var summary = new MessageSummary(
            uint.MaxValue - 1, ulong.MaxValue >> 1, MessageFlags.Seen | MessageFlags.Draft, ["$Forwarded", "Ünïcode"],
            DateTimeOffset.Parse("1969-12-31T23:59:59Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2024-02-29T12:34:56.789Z", System.Globalization.CultureInfo.InvariantCulture),
            long.MaxValue, true, "Grüße 👋 \"quoted\"",
            [new EmailAddress("Ada, L.", "ada@example.test"), new EmailAddress(null, "")],
            [new EmailAddress("日本", "nihon@example.test")], [], [new EmailAddress(null, "r@x")],
            "id@x", "parent@x", "preview text");

        var decoded = SummaryCodec.Decode(SummaryCodec.Encode(summary));

        Assert.Equal(summary with { From = [], To = [], Cc = [], ReplyTo = [], Keywords = [] }, decoded with { From = [], To = [], Cc = [], ReplyTo = [], Keywords = [] });
        Assert.Equal(summary.From, decoded.From);
        Assert.Equal(summary.To, decoded.To);
        Assert.Empty(decoded.Cc);
        Assert.Equal(summary.ReplyTo, decoded.ReplyTo);
        Assert.Equal(summary.Keywords, decoded.Keywords);
        Assert.True(decoded.HasAttachments);
    }

    [Fact]
    public void Nulls_stay_null()
    {
        var summary = new MessageSummary(7, 0, MessageFlags.None, [], DateTimeOffset.UnixEpoch, null, 0, false, null, [], [], [], [], null, null, null);
        Assert.Equal(summary with { }, SummaryCodec.Decode(SummaryCodec.Encode(summary)) with { Keywords = summary.Keywords, From = summary.From, To = summary.To, Cc = summary.Cc, ReplyTo = summary.ReplyTo });
    }

    [Fact]
    public void Date_keys_sort_bytewise_like_the_listing()
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var keys = new[]
        {
            SummaryCodec.DateKey(t.AddYears(-80), 1), // before 1970
            SummaryCodec.DateKey(t, 9),
            SummaryCodec.DateKey(t, 3),
            SummaryCodec.DateKey(t.AddSeconds(1), 2),
        };

        // Read in reverse byte order, the listing is: newest first, equal dates by UID ascending.
        var listing = keys.OrderByDescending(k => k, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).Select(k => SummaryCodec.UidOfDateKey(k));
        Assert.Equal([2u, 3u, 9u, 1u], listing);
    }
}

using Gateway.Core.Messages.Cache;

namespace Gateway.Tests.Cache;

public sealed class SummaryBlockTests
{
    [Fact]
    public void Round_trips_entries_and_keeps_version_and_count_in_the_header()
    {
        var entries = Enumerable.Range(0, SummaryBlock.Size)
            .Select(i => System.Text.Encoding.UTF8.GetBytes(new string((char)('a' + i % 26), i * 13)))
            .ToArray();

        var block = SummaryBlock.Encode(41, entries);

        Assert.Equal(41u, SummaryBlock.VersionOf(block));
        Assert.Equal(SummaryBlock.Size, block[4] * 256 + block[5]);
        Assert.Equal(entries, SummaryBlock.Decode(block));
        Assert.True(block.Length < entries.Sum(e => e.Length) / 4, "a block of similar entries compresses well");
    }

    [Fact]
    public void Rejects_what_it_did_not_write()
    {
        Assert.Throws<FormatException>(() => SummaryBlock.Decode([0, 0, 0, 1, 0, 1, 9, 1, 2, 3]));
        Assert.Throws<FormatException>(() => SummaryBlock.Decode([1, 2]));
    }
}

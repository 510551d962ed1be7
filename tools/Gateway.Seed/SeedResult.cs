using System.Globalization;
using System.Text;

namespace Gateway.Seed;

/// <summary>What a run did, for the one-line summary.</summary>
internal sealed record SeedResult(int Generated, int Corpus, TimeSpan Elapsed, IReadOnlyList<(string Phase, TimeSpan Time)> Phases)
{
    public int Skipped { get; init; }

    public string Summary(string user, string mailbox)
    {
        var total = Generated + Corpus;
        var seconds = Elapsed.TotalSeconds;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture,
            $"seed: {total} messages ({Generated} generated, {Corpus} corpus) into {user}/{mailbox} in {seconds:F1} s ({total / Math.Max(seconds, 0.001):F0} msgs/s");
        foreach (var (phase, time) in Phases)
        {
            line.Append(CultureInfo.InvariantCulture, $"; {phase} {time.TotalSeconds:F1} s");
        }

        if (Skipped > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $"; {Skipped} rejected");
        }

        return line.Append(')').ToString();
    }
}

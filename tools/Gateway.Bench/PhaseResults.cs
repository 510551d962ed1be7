using System.Text.Json;

namespace Gateway.Bench;

/// <summary>The samples one phase measured, by key (e.g. <c>B1.gateway.c16.rps</c>), plus notes; one JSON file per
/// phase in the results directory, merged by <c>report</c>.</summary>
internal sealed class PhaseResults
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Phase { get; set; } = string.Empty;

    public Dictionary<string, List<double>> Samples { get; set; } = [];

    public Dictionary<string, string> Notes { get; set; } = [];

    public void Add(string key, double value)
    {
        if (!Samples.TryGetValue(key, out var list))
        {
            Samples[key] = list = [];
        }

        list.Add(value);
    }

    public void Note(string key, string text) => Notes[key] = text;

    public async Task SaveAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, Phase + ".json"), JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Every phase file of <paramref name="directory"/>, merged (later phases win on equal keys).</summary>
    public static PhaseResults LoadAll(string directory)
    {
        var merged = new PhaseResults { Phase = "all" };
        if (!Directory.Exists(directory))
        {
            return merged;
        }

        foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            var phase = JsonSerializer.Deserialize<PhaseResults>(File.ReadAllText(file), Json);
            if (phase is null)
            {
                continue;
            }

            foreach (var (key, values) in phase.Samples)
            {
                merged.Samples[key] = values;
            }

            foreach (var (key, text) in phase.Notes)
            {
                merged.Notes[key] = text;
            }
        }

        return merged;
    }

    public IReadOnlyList<double> Get(string key) => Samples.TryGetValue(key, out var list) ? list : [];
}

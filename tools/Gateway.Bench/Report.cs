using System.Globalization;
using System.Text;

namespace Gateway.Bench;

/// <summary>Turns the merged samples into the table (median and min-max of the repetitions, ratios against the
/// baselines of the same run, goals with met or missed-by-how-much) and writes it into docs/BENCHMARKS.md between
/// the <c>bench:begin</c> and <c>bench:end</c> markers, leaving the rest of that file alone. With <c>only</c> (BENCH_ONLY)
/// the table holds the rows of those ids alone.</summary>
internal sealed class Report(PhaseResults results, MachineInfo machine, IReadOnlySet<string>? only = null)
{
    public const string Begin = "<!-- bench:begin (written by bench/run.sh; edits inside are overwritten) -->";
    public const string End = "<!-- bench:end -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Phases = ["main", "cap1", "nocache", "lat5", "lat1"];

    /// <summary>The two pool states B1 and B4 are measured in.</summary>
    private static readonly (string Key, string Label)[] Variants =
    [
        ("afterFill", "pool as the fill left it"),
        ("freshPool", "fresh pool"),
        ("pushed", "with an event-stream subscriber (the push watcher vouches the state: no IMAP check)"),
    ];

    public string Table()
    {
        var rows = new List<string[]>();
        foreach (var (variant, label) in Variants)
        {
            foreach (var c in CachedPageBench.Connections)
            {
                var g = $"B1.{variant}.gateway.c{c}";
                var b = $"B1.{variant}.baseline.c{c}";
                var ratio = Ratio(g + ".rps", b + ".rps");
                rows.Add(["B1", $"cached page of 50, {label}, {c} conn: req/s", Fig(g + ".rps", "0"), Fig(b + ".rps", "0"), RatioText(ratio), "≥ 0.5×", AtLeast(ratio?.Median, 0.5, "×")]);
                rows.Add(["B1", $"… p50 / p99 ms", $"{Med(g + ".p50", "0.00")} / {Med(g + ".p99", "0.00")}", $"{Med(b + ".p50", "0.00")} / {Med(b + ".p99", "0.00")}", string.Empty, string.Empty, string.Empty]);
                if (results.Get(g + ".cpuDovecotMs").Count > 0)
                {
                    rows.Add(["B1", "… CPU per gateway request: gateway / Dovecot ms", $"{Med(g + ".cpuGatewayMs", "0.00")} / {Med(g + ".cpuDovecotMs", "0.00")}", string.Empty, string.Empty, string.Empty, string.Empty]);
                }
            }

            var rps64 = Median($"B1.{variant}.gateway.c64.rps");
            var p99At64 = Median($"B1.{variant}.gateway.c64.p99");
            rows.Add(["B1", $"absolute at 64 conn, {label} (target)", $"{Fmt(rps64, "0")} req/s, p99 {Fmt(p99At64, "0.0")} ms", string.Empty, string.Empty, "≥ 3,000 req/s, p99 ≤ 50 ms",
                Both(AtLeast(rps64, 3000, " req/s"), AtMost(p99At64, 50, " ms"))]);
        }

        rows.Add(["B1", "context: one IMAP STATUS of the 100k INBOX (plain MailKit), mailbox not selected / selected: ms", $"{Med("IMAP.status.unselected.ms", "0.0")} / {Med("IMAP.status.selected.ms", "0.00")}", string.Empty, string.Empty, string.Empty, string.Empty]);

        var cold = Ratio("B2.gateway.ms", "B2.baseline.ms");
        rows.Add(["B2", "uncached first page of the 100k mailbox: ms", Fig("B2.gateway.ms", "0.0"), Fig("B2.baseline.ms", "0.0"), RatioText(cold), "≤ 1.3×", AtMost(cold?.Median, 1.3, "×")]);

        if (results.Get("B2.nocache.gateway.ms").Count > 0)
        {
            var alone = Ratio("B2.nocache.gateway.ms", "B2.nocache.baseline.ms");
            rows.Add(["B2", "the same with the header cache off (`Cache:Enabled=false`: no fill starts beside the page)", Fig("B2.nocache.gateway.ms", "0.0"), Fig("B2.nocache.baseline.ms", "0.0"), RatioText(alone), "(information)", AtMost(alone?.Median, 1.3, "×")]);
        }

        var pooled = Ratio("B3.gateway.rps", "B3.baseline.rps");
        rows.Add(["B3", $"first page, {PoolingBench.Concurrency} concurrent clients: req/s (baseline: login per request)", Fig("B3.gateway.rps", "0"), Fig("B3.baseline.rps", "0.0"), RatioText(pooled, "0.0"), "≥ 10×", AtLeast(pooled?.Median, 10, "×")]);
        if (results.Get("B3.nocache.rps").Count > 0)
        {
            var noCache = Ratio("B3.nocache.rps", "B3.baseline.rps");
            rows.Add(["B3", "the same with the header cache off (`Cache:Enabled=false`): pooling alone", Fig("B3.nocache.rps", "0"), Fig("B3.baseline.rps", "0.0"), RatioText(noCache, "0.0"), "(information)", AtLeast(noCache?.Median, 10, "×")]);
        }

        foreach (var (variant, label) in Variants.Where(v => v.Key != "pushed"))
        {
            var correct = results.Get($"B4.{variant}.correct");
            var stale = correct.Count(c => c == 0);
            var verdict = AtMost(Median($"B4.{variant}.commands"), 3, string.Empty);
            if (stale > 0)
            {
                verdict = $"**wrong page**: the change was not shown in {stale} of {correct.Count} repetitions" + (verdict == "met" ? string.Empty : "; " + verdict);
            }

            rows.Add(["B4", $"refresh after 1 APPEND + 1 flag change, {label}: IMAP commands", Fig($"B4.{variant}.commands", "0"), string.Empty, string.Empty, "≤ 3", verdict]);
            rows.Add(["B4", $"refresh after 1 APPEND + 1 flag change, {label}: bytes read from IMAP", Fig($"B4.{variant}.bytes", "0"), string.Empty, string.Empty, "< 8 KB", Below(Median($"B4.{variant}.bytes"), 8192, " B")]);
        }

        var fill = Ratio("B5.gateway.hps", "B5.baseline.hps");
        rows.Add(["B5", "background fill of all 100k headers: headers/s", Fig("B5.gateway.hps", "0"), Fig("B5.baseline.hps", "0"), RatioText(fill), "≥ 0.8×", AtLeast(fill?.Median, 0.8, "×")]);
        rows.Add(["B5", "background fill of all 100k headers: seconds", Fig("B5.gateway.seconds", "0.0"), Fig("B5.baseline.seconds", "0.0"), string.Empty, string.Empty, string.Empty]);

        rows.Add(["B6", "Redis used_memory per cached header, bytes (MEMORY USAGE of the keys)", $"{Fig("B6.redis.bytesPerHeader", "0")} ({Med("B6.redis.memoryUsagePerHeader", "0")})", string.Empty, string.Empty, "≤ 400", AtMost(Median("B6.redis.bytesPerHeader"), 400, " B")]);
        var peak = Phases.Select(p => Median($"B6.rss.{p}.peakMb")).Where(v => v is not null).DefaultIfEmpty(null).Max();
        rows.Add(["B6", "gateway peak RSS (VmHWM over the whole run), MB", Fmt(peak, "0"), string.Empty, string.Empty, "≤ 250 MB", AtMost(peak, 250, " MB")]);

        if (results.Notes.TryGetValue("B7", out var b7) && results.Get("B7.cap5.rps").Count == 0)
        {
            rows.Add(["B7", "64 parallel uncached message GETs, pool cap 5 vs cap 1", b7, string.Empty, string.Empty, "≥ 3×", b7]);
        }
        else
        {
            var read = Ratio("B7.cap5.rps", "B7.cap1.rps");
            rows.Add(["B7", "64 parallel uncached message GETs: req/s (baseline: `Pool:MaxConnectionsPerAccount=1`)", Fig("B7.cap5.rps", "0"), Fig("B7.cap1.rps", "0"), RatioText(read), "≥ 3×", AtLeast(read?.Median, 3, "×")]);
            rows.Add(["B7", "64 parallel uncached message GETs: p50 / slowest ms", $"{Med("B7.cap5.p50", "0")} / {Med("B7.cap5.max", "0")}", $"{Med("B7.cap1.p50", "0")} / {Med("B7.cap1.max", "0")}", string.Empty, string.Empty, string.Empty]);
            rows.Add(["B7", "… CPU per read: gateway / Dovecot ms", $"{Med("B7.cap5.cpuGatewayMs", "0.00")} / {Med("B7.cap5.cpuDovecotMs", "0.00")}", $"{Med("B7.cap1.cpuGatewayMs", "0.00")} / {Med("B7.cap1.cpuDovecotMs", "0.00")}", string.Empty, string.Empty, string.Empty]);
            if (results.Get("B7.cap5.cpuGatewayMs").Count > 0 && results.Get("B7.cap1.rps").Count > 0)
            {
                // Two cores can serve at most 2 / (gateway + Dovecot CPU per read) reads per second, whatever the pool.
                var cpuPerRead = (Figure.Median(results.Get("B7.cap5.cpuGatewayMs")) + Figure.Median(results.Get("B7.cap5.cpuDovecotMs"))) / 1000;
                var ceiling = Environment.ProcessorCount / cpuPerRead;
                rows.Add(["B7", $"… ceiling on this machine: {Environment.ProcessorCount} cores / CPU per read = req/s, and its ratio to cap 1", BenchContext.F(ceiling, "0"), Fig("B7.cap1.rps", "0"), BenchContext.F(ceiling / Figure.Median(results.Get("B7.cap1.rps")), "0.00") + "×", string.Empty, "(information)"]);
            }
        }

        if (results.Get("B7.lat5.rps").Count > 0)
        {
            var far = Ratio("B7.lat5.rps", "B7.lat1.rps");
            var delay = Environment.GetEnvironmentVariable("BENCH_LATENCY_MS") is { Length: > 0 } ms ? ms : "1";
            rows.Add(["B7", $"the same with Dovecot {delay} ms away each way (latency proxy): req/s, cap 5 vs cap 1", Fig("B7.lat5.rps", "0"), Fig("B7.lat1.rps", "0"), RatioText(far), "≥ 3×", AtLeast(far?.Median, 3, "×")]);
            rows.Add(["B7", "the same: p50 / slowest ms", $"{Med("B7.lat5.p50", "0")} / {Med("B7.lat5.max", "0")}", $"{Med("B7.lat1.p50", "0")} / {Med("B7.lat1.max", "0")}", string.Empty, string.Empty, string.Empty]);
            rows.Add(["B7", "IMAP NOOP round trip through the proxy / direct, ms (median of 50, measured by each phase)", $"{Med("B7.rtt.proxyMs", "0.00")} / {Med("B7.rtt.directMs", "0.00")}", string.Empty, string.Empty, string.Empty, string.Empty]);
        }

        foreach (var (key, label) in new[] { ("all", "any mailbox"), ("inbox", "INBOX (100k)"), ("other", "another mailbox") })
        {
            var samples = results.Get($"B8.{key}.ms").Order().ToArray();
            if (samples.Length == 0)
            {
                continue;
            }

            var p95 = FreshnessBench.Percentile(samples, 0.95);
            rows.Add(["B8", $"external APPEND → SSE event, {label}: p50 / p95 ms ({samples.Length} trials)",
                $"{Fmt(FreshnessBench.Percentile(samples, 0.5), "0")} / {Fmt(p95, "0")}", string.Empty, string.Empty, "p95 ≤ 1 s", AtMost(p95, 1000, " ms")]);
        }

        var text = new StringBuilder();
        text.AppendLine("| id | measure | gateway: median (min–max) | baseline: median (min–max) | ratio | goal | result |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in rows.Where(r => only is not { Count: > 0 } || only.Contains(r[0])))
        {
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        return text.ToString();
    }

    public async Task UpdateDocumentAsync(string path)
    {
        var block = new StringBuilder();
        block.AppendLine(Begin);
        block.AppendLine();
        block.AppendLine(CultureInfo.InvariantCulture, $"### Latest run: {machine.Date}, commit `{machine.Commit}`");
        block.AppendLine();
        block.AppendLine("| machine | |");
        block.AppendLine("|---|---|");
        block.AppendLine(CultureInfo.InvariantCulture, $"| CPU | {machine.Cpu}, {machine.Cores} cores |");
        block.AppendLine(CultureInfo.InvariantCulture, $"| RAM | {machine.Memory} |");
        block.AppendLine(CultureInfo.InvariantCulture, $"| OS | {machine.Os} |");
        block.AppendLine(CultureInfo.InvariantCulture, $"| .NET | {machine.DotNet} |");
        if (machine.Tools.Length > 0)
        {
            block.AppendLine(CultureInfo.InvariantCulture, $"| servers and tools | {machine.Tools} |");
        }

        if (machine.Load.Length > 0)
        {
            block.AppendLine(CultureInfo.InvariantCulture, $"| load average at start (1/5/15 min) | {machine.Load} |");
        }

        block.AppendLine();
        block.Append(Table());
        block.AppendLine();
        if (results.Notes.Count > 0)
        {
            block.AppendLine("Notes of this run:");
            block.AppendLine();
            foreach (var (key, note) in results.Notes.OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                block.AppendLine(CultureInfo.InvariantCulture, $"- `{key}`: {note}");
            }

            block.AppendLine();
        }

        block.AppendLine("<details><summary>All samples of this run</summary>");
        block.AppendLine();
        block.AppendLine("| key | samples |");
        block.AppendLine("|---|---|");
        foreach (var (key, values) in results.Samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            block.AppendLine(CultureInfo.InvariantCulture, $"| `{key}` | {string.Join(", ", values.Select(v => v.ToString("0.###", Inv)))} |");
        }

        block.AppendLine();
        block.AppendLine("</details>");
        block.AppendLine();
        block.Append(End);

        var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : "# Benchmarks\n\nRun `bench/run.sh`.\n\n" + Begin + "\n" + End + "\n";
        var start = existing.IndexOf("<!-- bench:begin", StringComparison.Ordinal);
        var end = existing.IndexOf(End, StringComparison.Ordinal);
        var updated = start >= 0 && end > start
            ? existing[..start] + block + existing[(end + End.Length)..]
            : existing.TrimEnd() + "\n\n## Latest run\n\n" + block + "\n";
        await File.WriteAllTextAsync(path, updated);
        Console.Error.WriteLine($"bench: wrote the figures into {path}");
    }

    private double? Median(string key) => results.Get(key) is { Count: > 0 } s ? Figure.Median(s) : null;

    private string Med(string key, string format) => Fmt(Median(key), format);

    private static string Fmt(double? value, string format) => value is { } v && !double.IsNaN(v) ? v.ToString(format, Inv) : "–";

    private string Fig(string key, string format)
    {
        var s = results.Get(key);
        if (s.Count == 0)
        {
            return "–";
        }

        var median = Figure.Median(s).ToString(format, Inv);
        return s.Count == 1 ? median : $"{median} ({s.Min().ToString(format, Inv)}–{s.Max().ToString(format, Inv)})";
    }

    /// <summary>numerator / denominator: per repetition when both were measured in pairs (interleaved), else the ratio
    /// of the medians with the widest range the extremes allow.</summary>
    private (double Median, double Min, double Max)? Ratio(string numerator, string denominator)
    {
        var a = results.Get(numerator);
        var b = results.Get(denominator);
        if (a.Count == 0 || b.Count == 0)
        {
            return null;
        }

        if (a.Count == b.Count)
        {
            var paired = a.Zip(b, (x, y) => x / y).ToList();
            return (Figure.Median(paired), paired.Min(), paired.Max());
        }

        return (Figure.Median(a) / Figure.Median(b), a.Min() / b.Max(), a.Max() / b.Min());
    }

    private static string RatioText((double Median, double Min, double Max)? ratio, string format = "0.00") =>
        ratio is { } r ? $"{Small(r.Median, format)}× ({Small(r.Min, format)}–{Small(r.Max, format)})" : "–";

    /// <summary>Three significant digits for ratios far below 1, so they do not print as 0.00.</summary>
    private static string Small(double value, string format) =>
        value is > 0 and < 0.1 ? value.ToString("G2", Inv) : value.ToString(format, Inv);

    private static string AtLeast(double? value, double goal, string unit) => value switch
    {
        null => "not measured",
        var v when v >= goal => "met",
        var v => $"**missed**: {Small(v.Value, "0.##")}{unit} is {(goal / v.Value).ToString("#,0.0", Inv)}× short of {goal.ToString("#,0.##", Inv)}{unit}",
    };

    private static string AtMost(double? value, double goal, string unit) => value switch
    {
        null => "not measured",
        var v when v <= goal => "met",
        var v => $"**missed**: {v.Value.ToString("0.##", Inv)}{unit} is {((v.Value / goal - 1) * 100).ToString("0", Inv)}% over {goal.ToString("#,0.##", Inv)}{unit}",
    };

    private static string Below(double? value, double goal, string unit) => value switch
    {
        null => "not measured",
        var v when v < goal => "met",
        var v => $"**missed**: {v.Value.ToString("0", Inv)}{unit} is not below {goal.ToString("0", Inv)}{unit}",
    };

    private static string Both(string first, string second) =>
        first == "met" && second == "met" ? "met" : string.Join("; ", new[] { first, second }.Where(s => s != "met"));
}

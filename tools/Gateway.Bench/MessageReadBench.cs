using System.Diagnostics;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>B7: 64 parallel GETs of distinct, never-read messages on one account; run once per gateway phase (pool cap
/// 5, then cap 1) and compared by the report.</summary>
internal static class MessageReadBench
{
    public const string Route = "/api/v1/accounts/{accountId}/messages/{messageId}";
    public const int Parallel = 64;

    /// <summary>Warm-up rounds before the timed ones: the read path (MimeKit, AngleSharp, HtmlSanitizer, MailKit's
    /// FETCH of a body) runs nowhere else in the bench, so one round left both phases timing code the JIT had not
    /// optimised yet, the cap-1 phase (a fresh process) more so. Ten rounds (640 reads) get most of it there
    /// (measured: a fresh gateway spends ~1.7 ms of CPU per read in rounds 1-5, ~1.1 ms from round 10 on).</summary>
    public const int WarmUpRounds = 10;

    /// <summary>Message ids each phase may use: the warm-up rounds and up to 13 timed rounds of 64.</summary>
    public const int IdsPerPhase = 1500;

    /// <summary>Reads messages from <paramref name="idOffset"/> on in the id list, so no phase reads a message another
    /// phase read (each phase takes at most <see cref="IdsPerPhase"/>).</summary>
    public static async Task RunAsync(BenchContext context, string phaseKey, int idOffset, CancellationToken ct)
    {
        if (!await context.Gateway.HasPathAsync(Route, ct))
        {
            context.Results.Note("B7", "n/a (endpoint missing)");
            BenchContext.Log("B7: n/a (endpoint missing: GET " + Route + " is not in the OpenAPI document)");
            return;
        }

        // One round of 64 takes ~0.05-0.4 s here, so more rounds than elsewhere. Ids are taken from listing pages 2
        // on, so no message is read twice in the whole run (the warm-up reads distinct messages too).
        var rounds = Math.Min(Math.Max(10, context.Settings.Repetitions), (IdsPerPhase / Parallel) - WarmUpRounds);
        var ids = await MessageIdsAsync(context, idOffset + IdsPerPhase, ct);
        var next = idOffset;
        for (var rep = 0; rep < WarmUpRounds; rep++)
        {
            await Task.WhenAll(ids.Skip(next).Take(Parallel).Select(id => GetAsync(context, id, ct)));
            next += Parallel;
        }

        for (var rep = 0; rep < rounds; rep++)
        {
            var sample = ids.Skip(next).Take(Parallel).ToList();
            next += Parallel;
            var cpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid);
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(sample.Select(id => GetAsync(context, id, ct)));
            var seconds = clock.Elapsed.TotalSeconds;
            cpu = CpuSample.Take(context.Settings.GatewayPid, context.Settings.DovecotPid) - cpu;
            context.Results.Add($"B7.{phaseKey}.cpuGatewayMs", cpu.GatewaySeconds * 1000 / Parallel);
            context.Results.Add($"B7.{phaseKey}.cpuDovecotMs", cpu.DovecotSeconds * 1000 / Parallel);
            var errors = results.Count(r => !r.Ok);
            var latencies = results.Select(r => r.Ms).ToList();
            context.Results.Add($"B7.{phaseKey}.rps", Parallel / seconds);
            context.Results.Add($"B7.{phaseKey}.p50", Figure.Percentile(latencies, 50));
            context.Results.Add($"B7.{phaseKey}.max", latencies.Max());
            context.Results.Add($"B7.{phaseKey}.errors", errors);
            BenchContext.Log($"B7 {phaseKey} rep {rep + 1}: {Parallel} GETs in {BenchContext.F(seconds * 1000, "0")} ms = {BenchContext.F(Parallel / seconds, "0")} req/s"
                + $", p50 {BenchContext.F(Figure.Percentile(latencies, 50), "0")} ms, max {BenchContext.F(latencies.Max(), "0")} ms"
                + (errors > 0 ? $", {errors} failed ({results.First(r => !r.Ok).Status})" : string.Empty));
        }
    }

    private static async Task<(bool Ok, int Status, double Ms)> GetAsync(BenchContext context, string id, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var response = await context.Gateway.Http.GetAsync($"/api/v1/accounts/me/messages/{id}", HttpCompletionOption.ResponseContentRead, ct);
        return (response.IsSuccessStatusCode, (int)response.StatusCode, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Message ids from the second listing page of 500 on (not the newest, which other scenarios show).</summary>
    private static async Task<List<string>> MessageIdsAsync(BenchContext context, int count, CancellationToken ct)
    {
        var ids = new List<string>(count);
        string? token = null;
        var page = 0;
        while (ids.Count < count)
        {
            using var doc = JsonDocument.Parse(await context.Gateway.GetPageBytesAsync(context.Mailbox.Id, 500, ct, token));
            if (page++ > 0)
            {
                ids.AddRange(doc.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            }

            token = doc.RootElement.TryGetProperty("nextPageToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (token is null)
            {
                break;
            }
        }

        return ids;
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>The mailbox as the gateway describes it.</summary>
internal sealed record MailboxState(string Id, long UidValidity, long Total, string CacheStatus, long CachedMessages);

/// <summary>A snapshot of IMAP counters: commands by name and bytes read.</summary>
internal sealed record ImapCounters(IReadOnlyDictionary<string, long> Commands, long BytesRead)
{
    public long TotalCommands => Commands.Values.Sum();

    /// <summary>What happened between <paramref name="before"/> and this snapshot.</summary>
    public ImapCounters Since(ImapCounters before) => new(
        Commands.Select(c => (c.Key, Count: c.Value - before.Commands.GetValueOrDefault(c.Key)))
            .Where(c => c.Count != 0)
            .ToDictionary(c => c.Key, c => c.Count, StringComparer.Ordinal),
        BytesRead - before.BytesRead);

    public override string ToString() =>
        string.Join(", ", Commands.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}

/// <summary>The pool of the bench account (GET /bench/pool).</summary>
internal sealed record PoolSnapshot(int OpenConnections, int LeasedConnections, long Logins, ImapCounters Counters);

/// <summary>HTTP calls to the gateway under test, as the bench account.</summary>
internal sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly BenchSettings _settings;
    private DateTime _lastScrape = DateTime.MinValue;

    public GatewayClient(BenchSettings settings, int connections = 128)
    {
        _settings = settings;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = settings.Gateway,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public string? Token { get; private set; }

    public HttpClient Http => _http;

    /// <summary>POST /api/v1/sessions: one IMAP login, kept in the pool; the token is used from then on.</summary>
    public async Task<string> LoginAsync(CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync("/api/v1/sessions", new { username = _settings.User, password = _settings.Password }, ct);
        await EnsureAsync(response, "POST /api/v1/sessions", ct);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Token = body.RootElement.GetProperty("token").GetString()!;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return Token;
    }

    public async Task<MailboxState> GetMailboxAsync(string mailboxId, CancellationToken ct)
    {
        using var body = await GetJsonAsync($"/api/v1/accounts/me/mailboxes/{mailboxId}", ct);
        var root = body.RootElement;
        var cache = root.TryGetProperty("cache", out var c) ? c : default;
        return new MailboxState(
            root.GetProperty("id").GetString()!,
            root.GetProperty("uidValidity").GetInt64(),
            root.GetProperty("total").GetInt64(),
            cache.ValueKind == JsonValueKind.Object ? cache.GetProperty("status").GetString()! : "unknown",
            cache.ValueKind == JsonValueKind.Object ? cache.GetProperty("cachedMessages").GetInt64() : 0);
    }

    public static string PagePath(string mailboxId, int pageSize, string? pageToken = null) =>
        $"/api/v1/accounts/me/mailboxes/{mailboxId}/messages?pageSize={pageSize.ToString(CultureInfo.InvariantCulture)}"
        + (pageToken is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(pageToken));

    /// <summary>The raw body of a listing page (throws on anything but 200).</summary>
    public async Task<byte[]> GetPageBytesAsync(string mailboxId, int pageSize, CancellationToken ct, string? pageToken = null)
    {
        using var response = await _http.GetAsync(PagePath(mailboxId, pageSize, pageToken), ct);
        await EnsureAsync(response, "GET messages", ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public async Task<JsonDocument> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct);
        await EnsureAsync(response, "GET " + path, ct);
        return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
    }

    /// <summary>The bench account's pool counters (only with Benchmark:Enabled).</summary>
    public async Task<PoolSnapshot> GetPoolAsync(CancellationToken ct)
    {
        using var body = await GetJsonAsync("/bench/pool", ct);
        var root = body.RootElement;
        var commands = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in root.GetProperty("commands").EnumerateArray())
        {
            commands[c.GetProperty("name").GetString()!] = c.GetProperty("count").GetInt64();
        }

        return new PoolSnapshot(
            root.GetProperty("openConnections").GetInt32(),
            root.GetProperty("leasedConnections").GetInt32(),
            root.GetProperty("logins").GetInt64(),
            new ImapCounters(commands, root.GetProperty("bytesRead").GetInt64()));
    }

    /// <summary>Closes the bench account's idle connections (POST /bench/pool/evict).</summary>
    public async Task EvictAsync(CancellationToken ct)
    {
        using var response = await _http.PostAsync("/bench/pool/evict", null, ct);
        await EnsureAsync(response, "POST /bench/pool/evict", ct);
    }

    /// <summary>The process-wide IMAP counters as exported at /metrics (Prometheus text).</summary>
    /// <remarks>The exporter answers a scrape within 300 ms of the previous one from its cache: scrapes are spaced.</remarks>
    public async Task<ImapCounters> ScrapeImapCountersAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromMilliseconds(400) - (DateTime.UtcNow - _lastScrape);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, ct);
        }

        var text = await _http.GetStringAsync("/metrics", ct);
        _lastScrape = DateTime.UtcNow;
        var commands = new Dictionary<string, long>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("gateway_imap_commands_total{", StringComparison.Ordinal))
            {
                var start = line.IndexOf("command=\"", StringComparison.Ordinal) + 9;
                var end = line.IndexOf('"', start);
                commands[line[start..end]] = (long)Value(line);
            }
            else if (line.StartsWith("gateway_imap_bytes_read", StringComparison.Ordinal) && line.Contains("_total{", StringComparison.Ordinal))
            {
                bytes = (long)Value(line);
            }
        }

        return new ImapCounters(commands, bytes);

        static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>True when the OpenAPI document describes <paramref name="path"/> (e.g. an endpoint still being built).</summary>
    public async Task<bool> HasPathAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync("/swagger/v1/swagger.json", ct);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
        return doc.RootElement.TryGetProperty("paths", out var paths) && paths.TryGetProperty(path, out var item) && item.TryGetProperty("get", out _);
    }

    public static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
        }
    }

    public void Dispose() => _http.Dispose();
}

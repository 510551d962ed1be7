using System.Globalization;

namespace Gateway.Bench;

/// <summary>What to measure against, read from the environment bench/run.sh sets (every value has a default that
/// matches run.sh's own, so the tool can also be run by hand against a gateway started some other way).</summary>
internal sealed class BenchSettings
{
    public required Uri Gateway { get; init; }

    /// <summary>PID of the gateway process (for its peak RSS); 0 when unknown.</summary>
    public int GatewayPid { get; init; }

    /// <summary>PID of the Dovecot master serving the bench (its children are the imap processes); 0 when unknown.</summary>
    public int DovecotPid { get; init; }

    public required string ImapHost { get; init; }

    public int ImapPort { get; init; }

    public required string User { get; init; }

    public required string Password { get; init; }

    /// <summary>StackExchange.Redis configuration of the Redis the gateway uses.</summary>
    public required string Redis { get; init; }

    /// <summary>The gateway's <c>Redis:KeyPrefix</c>.</summary>
    public required string KeyPrefix { get; init; }

    public required string ResultsDirectory { get; init; }

    public required string LuaScript { get; init; }

    /// <summary>Repetitions of each timed measurement (median and min-max are reported).</summary>
    public int Repetitions { get; init; }

    /// <summary>Repetitions of the 100k fill (each costs ~20-30 s per side).</summary>
    public int FillRepetitions { get; init; }

    /// <summary>Repetitions of the cold first page.</summary>
    public int ColdRepetitions { get; init; }

    /// <summary>Seconds per wrk or .NET load run.</summary>
    public int LoadSeconds { get; init; }

    /// <summary>The gateway's <c>Pool:MaxConnectionsPerAccount</c> in this phase (for labels).</summary>
    public int PoolCap { get; init; }

    /// <summary>The benchmark ids to run (<c>BENCH_ONLY=B7</c> or <c>B1,B4</c>); empty: all of them.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>True when benchmark <paramref name="id"/> (e.g. <c>B7</c>) is part of this run.</summary>
    public bool Runs(string id) => Only.Count == 0 || Only.Contains(id);

    public static BenchSettings FromEnvironment() => new()
    {
        Gateway = new Uri(Env("BENCH_GATEWAY_URL", "http://127.0.0.1:18190")),
        GatewayPid = Int("BENCH_GATEWAY_PID", 0),
        DovecotPid = Int("BENCH_DOVECOT_PID", 0),
        ImapHost = Env("BENCH_IMAP_HOST", "127.0.0.1"),
        ImapPort = Int("BENCH_IMAP_PORT", 11143),
        User = Env("BENCH_USER", "t-bench@test"),
        Password = Env("BENCH_PASSWORD", "test-password"),
        Redis = Env("BENCH_REDIS", "127.0.0.1:16380"),
        KeyPrefix = Env("BENCH_KEY_PREFIX", "gw:"),
        ResultsDirectory = Env("BENCH_RESULTS", "artifacts/bench"),
        LuaScript = Env("BENCH_WRK_LUA", "bench/wrk-report.lua"),
        Repetitions = Int("BENCH_REPS", 3),
        FillRepetitions = Int("BENCH_FILL_REPS", 2),
        ColdRepetitions = Int("BENCH_COLD_REPS", 5),
        LoadSeconds = Int("BENCH_LOAD_SECONDS", 3),
        PoolCap = Int("BENCH_POOL_CAP", 5),
        Only = Env("BENCH_ONLY", string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => id.ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal),
    };

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static int Int(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;
}

using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Imap;

/// <summary>The IMAP session pool (configuration section <c>Pool</c>).</summary>
public sealed class PoolOptions
{
    public const string SectionName = "Pool";

    /// <summary>Most IMAP connections open at once for one account (leased plus idle).</summary>
    [Range(1, 100)]
    public int MaxConnectionsPerAccount { get; set; } = 5;

    /// <summary>Most IMAP connections open at once for the whole process.</summary>
    [Range(1, 100_000)]
    public int MaxConnections { get; set; } = 500;

    /// <summary>An idle connection is logged out after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A caller waits this long for a free connection, then gets 503 upstream-unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AcquireTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection idle for longer than this is checked with NOOP before it is handed out again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan HealthCheckAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Hard limit for one operation run through <see cref="IImapSessionPool.ExecuteAsync{T}"/>. The caller's token does
    /// not cancel a command in flight (that would kill the connection, PITFALLS 3); this limit does, and the connection
    /// is then discarded. Each single IMAP response is further bounded by <see cref="ImapOptions.CommandTimeout"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

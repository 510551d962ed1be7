using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Storage;

/// <summary>Redis (configuration section <c>Redis</c>). An empty <see cref="Configuration"/> means in-process stores.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>; empty for in-process stores.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key the gateway writes, so several deployments can share one Redis.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z0-9:_.-]{1,32}$")]
    public string KeyPrefix { get; set; } = "gw:";

    /// <summary>Longest wait for one Redis call before the gateway goes on without Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);
}

using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Accounts;

/// <summary>Bearer sessions and login throttling (configuration section <c>Sessions</c>).</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>A session unused for this long expires (sliding expiry).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>A session expires this long after login however much it is used.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Failed logins allowed per username and client address within <see cref="FailedLoginWindow"/>.</summary>
    [Range(1, 10_000)]
    public int MaxFailedLogins { get; set; } = 5;

    /// <summary>The window over which failed logins are counted; the caller waits out its remainder.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an instance trusts its local copy of a session before asking the shared store again;
    /// also bounds how long a revocation on another instance takes to be seen.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan LocalCacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}

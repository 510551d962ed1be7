using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Push;

/// <summary>Push: the per-account watchers and the event stream (<c>Push:*</c>).</summary>
public sealed class PushOptions
{
    public const string SectionName = "Push";

    /// <summary>Most accounts watched at once by this instance; subscribers beyond it still get the events of writes
    /// made through the gateway, not those of other IMAP clients.</summary>
    [Range(0, 100_000)]
    public int MaxWatchers { get; set; } = 1000;

    /// <summary>How long a watcher lives on after its last subscriber left (a page reload reconnects within it).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan WatcherGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>IDLE is re-issued after this long (servers drop an IDLE after 30 minutes, RFC 2177).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:29:00")]
    public TimeSpan IdleRestart { get; set; } = TimeSpan.FromMinutes(25);

    /// <summary>With NOTIFY: how often the watcher leaves IDLE for a NOOP. Dovecot 2.3 reports a change in a mailbox
    /// other than the selected one sometimes only when a command ends (seen in the benchmark: until the next NOOP, not
    /// during IDLE), so a short IDLE bounds the delay; a NOOP costs the server next to nothing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:29:00")]
    public TimeSpan NotifyCheckInterval { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Without NOTIFY: how often the mailboxes other than INBOX are polled with one LIST-STATUS.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A comment line is sent on an idle event stream this often, so proxies keep it open.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an event-stream ticket can be redeemed (once).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Events kept per account for reconnecting subscribers (<c>Last-Event-ID</c>).</summary>
    [Range(10, 100_000)]
    public int EventLogLength { get; set; } = 1000;

    /// <summary>Longest wait before reconnecting a watcher whose connection failed (the wait doubles from 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(1);
}

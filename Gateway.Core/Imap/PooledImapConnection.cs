using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>One authenticated connection owned by the pool, with what the pool knows about its state.</summary>
/// <remarks>Mutable fields are guarded by the pool's lock, except <see cref="SelectedFolder"/>, which only the current
/// lease holder touches.</remarks>
internal sealed class PooledImapConnection
{
    public PooledImapConnection(long id, ImapClient client, AccountPool owner, DateTimeOffset now)
    {
        Id = id;
        Client = client;
        Owner = owner;
        LastReturned = now;
    }

    public long Id { get; }

    public ImapClient Client { get; }

    public AccountPool Owner { get; }

    /// <summary>When the connection last went back to the pool (or was opened).</summary>
    public DateTimeOffset LastReturned { get; set; }

    public bool IsLeased { get; set; }

    /// <summary>Set by eviction while leased: close instead of pooling on return.</summary>
    public bool CloseOnReturn { get; set; }

    /// <summary>The folder this connection last selected through a lease; verify with <see cref="IMailFolder.IsOpen"/>.</summary>
    public IMailFolder? SelectedFolder { get; set; }

    /// <summary>When (<see cref="System.Diagnostics.Stopwatch"/> ticks) the session last caught up with the selected
    /// mailbox (SELECT/EXAMINE or NOOP started then); 0 when unknown.</summary>
    public long SyncedAt { get; set; }

    /// <summary>Full name of the selected mailbox, or null when none is (known to be) open.</summary>
    public string? SelectedMailbox => SelectedFolder is { IsOpen: true } folder ? folder.FullName : null;
}

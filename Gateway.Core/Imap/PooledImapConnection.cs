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
        _onReport = OnReport;
    }

    public long Id { get; }

    public ImapClient Client { get; }

    public AccountPool Owner { get; }

    /// <summary>When the connection last went back to the pool (or was opened).</summary>
    public DateTimeOffset LastReturned { get; set; }

    public bool IsLeased { get; set; }

    /// <summary>Set by eviction while leased: close instead of pooling on return.</summary>
    public bool CloseOnReturn { get; set; }

    private readonly EventHandler _onReport;
    private IMailFolder? _selectedFolder;
    private long _reports;
    private long _verifiedAt = -1;

    /// <summary>The folder this connection last selected through a lease; verify with <see cref="IMailFolder.IsOpen"/>.</summary>
    public IMailFolder? SelectedFolder
    {
        get => _selectedFolder;
        set
        {
            if (ReferenceEquals(value, _selectedFolder))
            {
                return;
            }

            if (_selectedFolder is { } old)
            {
                Watch(old, false);
            }

            _selectedFolder = value;
            _verifiedAt = -1;
            if (value is not null)
            {
                Watch(value, true);
            }
        }
    }

    /// <summary>
    /// True when the server has reported nothing about the selected mailbox since <see cref="MarkVerified"/>: no
    /// EXISTS, EXPUNGE, VANISHED, FETCH, or change of UIDNEXT, UIDVALIDITY or HIGHESTMODSEQ. After a NOOP (which makes
    /// the server report every change another session made), the folder's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and
    /// count are then still the server's.
    /// </summary>
    public bool SelectionQuiet => _selectedFolder is { IsOpen: true } && _verifiedAt == _reports;

    /// <summary>Records that the selected folder's values were just read from the server (SELECT/EXAMINE or STATUS).</summary>
    public void MarkVerified() => _verifiedAt = _reports;

    private void Watch(IMailFolder folder, bool on) => FolderReports.Watch(folder, _onReport, on);

    private void OnReport(object? sender, EventArgs e) => _reports++;

    /// <summary>When (<see cref="System.Diagnostics.Stopwatch"/> ticks) the session last caught up with the selected
    /// mailbox (SELECT/EXAMINE or NOOP started then); 0 when unknown.</summary>
    public long SyncedAt { get; set; }

    /// <summary>Full name of the selected mailbox, or null when none is (known to be) open.</summary>
    public string? SelectedMailbox => SelectedFolder is { IsOpen: true } folder ? folder.FullName : null;
}

using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>
/// Exclusive use of one pooled, authenticated IMAP connection. Dispose it (<c>await using</c>) to give the connection
/// back; a second dispose is harmless.
/// </summary>
/// <remarks>
/// Run one command at a time on <see cref="Client"/> (MailKit throws on concurrent use). Open mailboxes through
/// <see cref="OpenMailboxAsync"/> so the pool knows what is selected and can skip a needless SELECT. After a
/// connection-level failure (<see cref="IOException"/>, <see cref="ImapProtocolException"/>, a timeout or a cancelled
/// command) the connection is discarded on return automatically when MailKit has disconnected it; call
/// <see cref="Discard"/> to force that.
/// </remarks>
public sealed class ImapLease : IAsyncDisposable
{
    private readonly ImapSessionPool _pool;
    private readonly PooledImapConnection _connection;
    private int _disposed;
    private bool _discard;

    internal ImapLease(ImapSessionPool pool, PooledImapConnection connection, ImapAccount account, bool isFresh)
    {
        _pool = pool;
        _connection = connection;
        Account = account;
        IsFresh = isFresh;
    }

    /// <summary>The leased client, authenticated as <see cref="Account"/>.</summary>
    /// <exception cref="ObjectDisposedException">The lease was returned.</exception>
    public ImapClient Client
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _connection.Client;
        }
    }

    /// <summary>The account the connection is authenticated as.</summary>
    public ImapAccount Account { get; }

    /// <summary>True when the connection was opened for this lease (so a failure on it is not a stale connection).</summary>
    public bool IsFresh { get; }

    /// <summary>Full name of the mailbox currently selected on this connection, if known.</summary>
    public string? SelectedMailbox => _connection.SelectedMailbox;

    internal PooledImapConnection Connection => _connection;

    internal bool DiscardRequested => _discard;

    /// <summary>
    /// Opens (SELECT/EXAMINE) <paramref name="fullName"/>, unless it is already open on this connection with enough
    /// access: then no command is sent (MailKit itself always re-sends SELECT, PITFALLS 5).
    /// </summary>
    /// <param name="fullName">Full mailbox name, e.g. <c>INBOX</c> or <c>Archive|2024</c>.</param>
    /// <param name="access"><see cref="FolderAccess.ReadOnly"/> (EXAMINE) or <see cref="FolderAccess.ReadWrite"/>
    /// (SELECT). A folder open read-write also serves read-only requests.</param>
    /// <param name="cancellationToken">Passed to MailKit: cancelling it mid-command kills the connection.</param>
    /// <returns>The open folder.</returns>
    /// <exception cref="ImapCommandException">The server refused (e.g. the mailbox does not exist); the connection
    /// stays usable, with no mailbox selected.</exception>
    /// <exception cref="FolderNotFoundException">The mailbox does not exist.</exception>
    public async Task<IMailFolder> OpenMailboxAsync(string fullName, FolderAccess access, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fullName);
        if (access == FolderAccess.None)
        {
            throw new ArgumentOutOfRangeException(nameof(access), access, "Open a mailbox read-only or read-write.");
        }

        var client = Client;
        var selected = _connection.SelectedFolder;
        if (selected is { IsOpen: true }
            && string.Equals(selected.FullName, NormalizeMailbox(fullName), StringComparison.Ordinal)
            && (selected.Access == FolderAccess.ReadWrite || access == FolderAccess.ReadOnly))
        {
            return selected;
        }

        var folder = IsInbox(fullName) ? client.Inbox : await client.GetFolderAsync(fullName, cancellationToken);

        // A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1): forget the old one before trying.
        _connection.SelectedFolder = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await folder.OpenAsync(access, cancellationToken);
        _connection.SelectedFolder = folder;
        _connection.MarkVerified();
        _connection.SyncedAt = started;
        return folder;
    }

    /// <summary>When (<see cref="System.Diagnostics.Stopwatch"/> ticks) this session last caught up with its selected
    /// mailbox: a SELECT/EXAMINE or NOOP that started then. A session's view of the selected mailbox moves on only at
    /// such points, so changes made by others since are invisible to it until the next one.</summary>
    public long SyncedAt => _connection.SyncedAt;

    /// <summary>Records that a SELECT/EXAMINE or NOOP that started at <paramref name="startedAt"/> completed.</summary>
    public void MarkSynced(long startedAt) => _connection.SyncedAt = Math.Max(_connection.SyncedAt, startedAt);

    /// <summary>True when the server has reported no change of the selected mailbox since it was selected or
    /// <see cref="MarkSelectionVerified"/> was last called: after a NOOP that reported nothing, the selected folder's
    /// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and count are still the server's, so no STATUS is needed.</summary>
    public bool SelectionQuiet => _connection.SelectionQuiet;

    /// <summary>Records that the selected folder's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and count were just read from
    /// the server (a STATUS of the selected mailbox).</summary>
    public void MarkSelectionVerified() => _connection.MarkVerified();

    /// <summary>Forgets the selected mailbox, so the next <see cref="OpenMailboxAsync"/> selects it again.</summary>
    public void ForgetSelection() => _connection.SelectedFolder = null;

    /// <summary>Closes the connection instead of pooling it when the lease is returned.</summary>
    public void Discard() => _discard = true;

    /// <summary>Gives the connection back to the pool (or closes it). Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return _pool.ReturnAsync(this);
    }

    internal static string NormalizeMailbox(string fullName) => IsInbox(fullName) ? "INBOX" : fullName;

    private static bool IsInbox(string fullName) => string.Equals(fullName, "INBOX", StringComparison.OrdinalIgnoreCase);
}

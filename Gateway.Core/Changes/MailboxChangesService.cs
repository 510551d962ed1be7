using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Changes;

/// <summary>
/// Answers "what changed in this mailbox since state S" for clients that keep a copy (mobile sync), from the IMAP
/// server's own history: one <c>UID FETCH 1:* (UID MODSEQ) (CHANGEDSINCE m VANISHED)</c> (QRESYNC, RFC 7162) after the
/// usual freshness check. Nothing is kept in the gateway, so a state never expires while the mailbox's UIDVALIDITY
/// stays the same.
/// </summary>
/// <remarks>
/// From S = (UIDNEXT u, HIGHESTMODSEQ m) to the current T: <em>created</em> are the messages with u ≤ UID &lt; T's
/// UIDNEXT that still exist; <em>updated</em> the older ones (UID &lt; u) whose MODSEQ is in (m, T's]; <em>destroyed</em>
/// the UIDs below u the server reports VANISHED since m (a server may report a superset, e.g. UIDs never seen by the
/// client: clients ignore unknown ids, as JMAP allows). A message created and expunged between S and T appears nowhere.
/// </remarks>
public sealed class MailboxChangesService(
    IImapSessionPool pool,
    MailboxService mailboxes,
    MailboxFreshness freshness,
    FreshnessChecks checks)
{
    /// <summary>Largest <c>maxChanges</c>; larger values are clamped.</summary>
    public const int MaxChangesLimit = 5000;

    /// <summary><c>maxChanges</c> when the caller gives none.</summary>
    public const int DefaultMaxChanges = 1000;

    /// <summary>The changes of <paramref name="mailboxIdOrAlias"/> since <paramref name="since"/>.</summary>
    /// <exception cref="RequestValidationException"><paramref name="since"/> is not a state, or maxChanges is not positive.</exception>
    /// <exception cref="MailboxNotFoundException">No such mailbox.</exception>
    /// <exception cref="CannotCalculateChangesException">The state is from another UIDVALIDITY, or the server keeps no
    /// history to answer from (no QRESYNC).</exception>
    public async Task<MailboxChanges> GetChangesAsync(AccountSession session, string mailboxIdOrAlias, string since, int? maxChanges, CancellationToken cancellationToken)
    {
        if (!ChangePoint.TryDecode(since, out var point))
        {
            throw RequestValidationException.For("since", "Not a state of this API: pass the 'state' of a listing or the 'newState' of a previous answer.");
        }

        if (maxChanges is <= 0)
        {
            throw RequestValidationException.For("maxChanges", "maxChanges must be a positive number.");
        }

        var limit = Math.Min(maxChanges ?? DefaultMaxChanges, MaxChangesLimit);
        return await ImapMailbox.InResolvedAsync(
            mailboxes, session, mailboxIdOrAlias, mailbox => ChangesInAsync(session, mailbox, since, point, limit, cancellationToken), cancellationToken);
    }

    private async Task<MailboxChanges> ChangesInAsync(AccountSession session, MailboxRef mailbox, string since, ChangePoint point, int limit, CancellationToken ct)
    {
        if (!mailbox.Selectable)
        {
            throw new CannotCalculateChangesException("The mailbox cannot hold messages, so it has no message states.");
        }

        var from = point.From;
        MailboxStates.State to;
        if (point.To is { } fixedTo)
        {
            to = fixedTo;
        }
        else
        {
            var server = await freshness.TryGetAsync(mailbox.Id, ct) ?? await checks.CheckAsync(session.Account, mailbox.Path, ct);
            to = new MailboxStates.State(server.UidValidity, server.UidNext, server.HighestModSeq, server.Exists);
            if (server.UidValidity != from.UidValidity)
            {
                throw new CannotCalculateChangesException("The mailbox was recreated (its UIDVALIDITY changed) since this state: list it again from the first page.");
            }

            if (to.UidNext == from.UidNext && to.HighestModSeq == from.HighestModSeq && to.Exists == from.Exists)
            {
                return new MailboxChanges(since, to.Token, false, [], [], []);
            }
        }

        if (from.HighestModSeq == 0 || to.HighestModSeq < from.HighestModSeq || to.UidNext < from.UidNext)
        {
            throw new CannotCalculateChangesException("This state cannot be compared with the mailbox's current one (the server has no CONDSTORE, or the state is not from this mailbox).");
        }

        var (destroyed, created, updated) = await pool.ExecuteAsync(
            session.Account,
            (lease, token) => ReadAsync(lease, mailbox.Path, from, to, token),
            new ImapOperationOptions(Mailbox: mailbox.Path),
            ct);

        // One ordered series: destroyed, created, updated, each by UID; skip what the cursor says was reported.
        var entries = new List<(ChangeKind Kind, uint Uid)>();
        entries.AddRange(destroyed.Select(u => (ChangeKind.Destroyed, u)));
        entries.AddRange(created.Select(u => (ChangeKind.Created, u)));
        entries.AddRange(updated.Select(u => (ChangeKind.Updated, u)));
        var pending = entries.Where(e => point.Cursor.IsBefore(e.Kind, e.Uid)).ToList();
        var more = pending.Count > limit;
        var page = more ? pending.GetRange(0, limit) : pending;
        var newState = more
            ? ChangePoint.EncodeIntermediate(from, to, new ChangeCursor(page[^1].Kind, page[^1].Uid))
            : to.Token;

        string Id(uint uid) => MessageIds.For(mailbox.Id, from.UidValidity, uid);
        return new MailboxChanges(
            since,
            newState,
            more,
            page.Where(e => e.Kind == ChangeKind.Created).Select(e => Id(e.Uid)).ToArray(),
            page.Where(e => e.Kind == ChangeKind.Updated).Select(e => Id(e.Uid)).ToArray(),
            page.Where(e => e.Kind == ChangeKind.Destroyed).Select(e => Id(e.Uid)).ToArray());
    }

    private static async Task<(List<uint> Destroyed, List<uint> Created, List<uint> Updated)> ReadAsync(
        ImapLease lease, string path, MailboxStates.State from, MailboxStates.State to, CancellationToken ct)
    {
        var client = lease.Client;
        if (!client.Capabilities.HasFlag(ImapCapabilities.QuickResync))
        {
            throw new CannotCalculateChangesException("The IMAP server does not offer QRESYNC, so it cannot tell which messages were expunged since a state.");
        }

        IMailFolder folder;
        try
        {
            folder = await ImapMailbox.OpenAsync(lease, path, from.UidValidity, System.Diagnostics.Stopwatch.GetTimestamp(), ct);
        }
        catch (UidValidityChangedException)
        {
            throw new CannotCalculateChangesException("The mailbox was recreated (its UIDVALIDITY changed) since this state: list it again from the first page.");
        }

        var vanished = new List<uint>();
        void OnVanished(object? sender, MessagesVanishedEventArgs e) => vanished.AddRange(e.UniqueIds.Select(u => u.Id));
        folder.MessagesVanished += OnVanished;
        IList<IMessageSummary> changed;
        try
        {
            var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.ModSeq) { ChangedSince = from.HighestModSeq };
            changed = await folder.FetchAsync(ImapMailbox.From(1), request, ct);
        }
        finally
        {
            folder.MessagesVanished -= OnVanished;
        }

        var created = new List<uint>();
        var updated = new List<uint>();
        foreach (var m in changed)
        {
            if (!m.UniqueId.IsValid)
            {
                continue;
            }

            var uid = m.UniqueId.Id;
            if (uid >= from.UidNext)
            {
                if (uid < to.UidNext)
                {
                    created.Add(uid);
                }
            }
            else if ((m.ModSeq ?? ulong.MaxValue) <= to.HighestModSeq)
            {
                updated.Add(uid);
            }
        }

        var destroyed = vanished.Where(u => u < from.UidNext).Distinct().ToList();
        destroyed.Sort();
        created.Sort();
        updated.Sort();
        return (destroyed, created, updated);
    }
}

using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;

namespace Gateway.Core.Messages.Writes;

/// <summary>The outcome of a batch for one id.</summary>
/// <param name="Id">The id as sent.</param>
/// <param name="Error">Why nothing (or not everything) was done for it; null on success.</param>
/// <param name="NewId">Its id in the target mailbox after a move, when the server reports it.</param>
public sealed record BatchItemResult(string Id, GatewayException? Error, string? NewId = null);

/// <content>Batches: many messages, grouped per mailbox into as few commands as IMAP allows.</content>
public sealed partial class MessageWriter
{
    /// <summary>Most ids in one batch.</summary>
    public const int MaxBatchSize = 1000;

    /// <summary>
    /// Applies one flag change and/or one move to many messages. Per mailbox: SELECT, one <c>UID SEARCH UID</c> to learn
    /// which ids exist, one <c>UID STORE +FLAGS.SILENT</c> for everything added, one <c>UID STORE -FLAGS.SILENT</c> for
    /// everything removed, one <c>UID MOVE</c> (or the COPY fallback), then the cache refresh. Ids that are malformed,
    /// unknown, or of an older UIDVALIDITY get their own error and are left alone; the others are done.
    /// </summary>
    /// <param name="session">The caller.</param>
    /// <param name="ids">1 to <see cref="MaxBatchSize"/> message ids; repeated ids count once.</param>
    /// <param name="change">The flag change (may be empty when moving).</param>
    /// <param name="moveTo">Target mailbox id or alias, or null.</param>
    /// <param name="cancellationToken">Aborted with the request; a command already sent still finishes.</param>
    /// <returns>One result per distinct id, in request order.</returns>
    /// <exception cref="RequestValidationException">No ids, too many, or nothing to do.</exception>
    /// <exception cref="TargetMailboxNotFoundException">The move target does not exist.</exception>
    public async Task<IReadOnlyList<BatchItemResult>> BatchAsync(
        AccountSession session, IReadOnlyList<string?> ids, FlagChange change, string? moveTo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(change);
        if (ids.Count is 0 or > MaxBatchSize)
        {
            throw RequestValidationException.For("ids", $"Give 1 to {MaxBatchSize} message ids.");
        }

        if (change.IsEmpty && moveTo is null)
        {
            throw RequestValidationException.For("body", "Nothing to do: give a flag change, keywords or moveTo.");
        }

        var target = moveTo is null ? null : await TargetAsync(session, moveTo, cancellationToken);
        var order = new List<string>(ids.Count);
        var results = new Dictionary<string, BatchItemResult>(StringComparer.Ordinal);
        var groups = new Dictionary<string, List<(string Id, MessageRef Ref)>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var key = id ?? string.Empty;
            if (!seen.Add(key))
            {
                continue;
            }

            order.Add(key);
            if (!MessageIds.TryParse(id, out var reference))
            {
                results[key] = new BatchItemResult(key, RequestValidationException.For("ids", "Not a message id of this gateway."));
                continue;
            }

            if (!groups.TryGetValue(reference.MailboxId, out var group))
            {
                groups[reference.MailboxId] = group = [];
            }

            group.Add((key, reference));
        }

        foreach (var (mailboxId, items) in groups)
        {
            try
            {
                await BatchInMailboxAsync(session, mailboxId, items, change, target, results, cancellationToken);
            }
            catch (Exception ex) when (ex is GatewayException or ImapCommandException)
            {
                var error = ex as GatewayException ?? new UpstreamProtocolException("The IMAP server refused the command: " + ((ImapCommandException)ex).ResponseText, ex);
                foreach (var (id, _) in items)
                {
                    results.TryAdd(id, new BatchItemResult(id, error));
                }
            }
        }

        if (target is not null)
        {
            await freshness.ForgetAsync(target.Id, cancellationToken);
        }

        return order.Select(id => results[id]).ToList();
    }

    private async Task BatchInMailboxAsync(
        AccountSession session, string mailboxId, List<(string Id, MessageRef Ref)> items, FlagChange change, MailboxRef? target,
        Dictionary<string, BatchItemResult> results, CancellationToken cancellationToken)
    {
        var mailbox = await SourceAsync(session, mailboxId, cancellationToken);
        if (target is not null && target.Id == mailbox.Id)
        {
            foreach (var (id, _) in items)
            {
                results[id] = new BatchItemResult(id, RequestValidationException.For("moveTo", "The message is in that mailbox already."));
            }

            return;
        }

        var progress = new TransferProgress();
        await GuardAsync(progress, target!, () => RunAsync(session, mailbox, uidValidity: null, retryable: false, async (lease, folder, ct) =>
        {
            var live = new List<(string Id, MessageRef Ref)>(items.Count);
            foreach (var item in items)
            {
                if (item.Ref.UidValidity != folder.UidValidity)
                {
                    results[item.Id] = new BatchItemResult(item.Id, new UidValidityChangedException(
                        "The mailbox was recreated (its UIDVALIDITY changed); this message id is no longer valid."));
                }
                else
                {
                    live.Add(item);
                }
            }

            if (live.Count == 0)
            {
                return true;
            }

            var found = new HashSet<uint>((await folder.SearchAsync(SearchQuery.Uids(live.Select(i => new UniqueId(i.Ref.Uid)).ToList()), ct)).Select(u => u.Id));
            var existing = new List<(string Id, MessageRef Ref)>(live.Count);
            foreach (var item in live)
            {
                if (found.Contains(item.Ref.Uid))
                {
                    existing.Add(item);
                }
                else
                {
                    results[item.Id] = new BatchItemResult(item.Id, NotFound());
                }
            }

            if (existing.Count == 0)
            {
                return true;
            }

            var uids = existing.Select(i => new UniqueId(i.Ref.Uid)).ToList();
            await StoreAsync(folder, uids, change, ct);
            var moved = new Dictionary<uint, UniqueId>();
            if (target is not null)
            {
                var map = await TransferAsync(lease, session.AccountId, folder, target, uids, move: true, progress, ct);
                for (var i = 0; i < Math.Min(map.Source.Count, map.Destination.Count); i++)
                {
                    moved[map.Source[i].Id] = map.Destination[i];
                }
            }

            await cacheSync.AfterWriteAsync(lease, folder, mailbox, ct);
            foreach (var (id, reference) in existing)
            {
                var newId = moved.TryGetValue(reference.Uid, out var d) && d.Validity != 0 ? MessageIds.For(target!.Id, d.Validity, d.Id) : null;
                results[id] = new BatchItemResult(id, null, newId);
            }

            return true;
        }, cancellationToken));
    }
}

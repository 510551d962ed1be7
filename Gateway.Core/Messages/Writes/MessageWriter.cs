using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages.Cache;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Messages.Writes;

/// <summary>
/// Changes messages: flags and keywords (optionally conditional on an entity tag), move, copy, delete, batches and
/// "mark all read". Every write runs on one pooled connection with the mailbox selected read-write and is never
/// retried by the pool on a dead connection (a MOVE whose answer was lost must not be sent again blindly).
/// </summary>
/// <remarks>
/// <para>Read-your-writes: after the write, on the same connection, a STATUS of the mailbox and the header cache's delta
/// refresh (<see cref="WriteCacheSync"/>) bring the shared cache up to the write, so the next listing on any
/// instance shows it; the write also withdraws any push vouch (<see cref="MailboxFreshness"/>) for every mailbox it
/// touched. A mailbox that only gained messages (the target of a move or copy) needs no such step: its UIDNEXT moved,
/// so the freshness check every listing makes sees that the cache is behind.</para>
/// <para>Nothing is lost: a move is one <c>UID MOVE</c> where the server offers MOVE; otherwise <c>UID COPY</c>, then
/// <c>UID STORE +FLAGS.SILENT (\Deleted)</c> and <c>UID EXPUNGE</c> of exactly those UIDs (UIDPLUS), never a plain
/// EXPUNGE, which would also remove other messages marked deleted; without UIDPLUS such a move is refused. A failure
/// after the copy leaves the message in both mailboxes and says so (<see cref="IncompleteWriteException"/>).</para>
/// </remarks>
public sealed partial class MessageWriter(
    IImapSessionPool pool,
    MailboxService mailboxes,
    MailboxDirectory directory,
    WriteCacheSync cacheSync,
    MailboxFreshness freshness,
    ILogger<MessageWriter> logger)
{
    private const MessageSummaryItems StateItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags;

    /// <summary>Changes a message's flags and keywords; with a precondition, only if the message is still the version
    /// an entity tag names (one <c>UID STORE (UNCHANGEDSINCE m) FLAGS.SILENT</c>).</summary>
    /// <param name="session">The caller.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="change">What to change (validated).</param>
    /// <param name="precondition">From <c>If-Match</c>.</param>
    /// <param name="cancellationToken">Aborted with the request; a command already sent still finishes.</param>
    /// <returns>The message after the change.</returns>
    /// <exception cref="RequestValidationException">The id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such message.</exception>
    /// <exception cref="UidValidityChangedException">The mailbox was recreated since the id was made.</exception>
    /// <exception cref="PreconditionFailedException">The message changed since the tag was issued (nothing changed).</exception>
    public async Task<WrittenMessage> UpdateAsync(
        AccountSession session, string messageId, FlagChange change, WritePrecondition precondition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(precondition);
        var reference = ParseMessageId(messageId);
        var mailbox = await SourceAsync(session, reference.MailboxId, cancellationToken);

        // Adding or removing flags twice is harmless, so an unconditional change may be retried on a fresh connection;
        // a conditional one may not (its first run moved the MODSEQ, so a rerun would answer 412 for its own change).
        var retryable = precondition.Tags is null;
        var summary = await RunAsync(session, mailbox, reference.UidValidity, retryable, async (lease, folder, ct) =>
        {
            var uid = new UniqueId(reference.Uid);
            var condstore = lease.Client.Capabilities.HasFlag(ImapCapabilities.CondStore);
            var current = await CurrentAsync(folder, uid, condstore, ct);
            if (precondition.Tags is not null)
            {
                if (!condstore || current.ModSeq is not { } modSeq)
                {
                    throw new PreconditionFailedException("The IMAP server has no CONDSTORE, so a conditional write cannot be made atomic: send the request without If-Match.");
                }

                if (!precondition.ModSeqsFor(reference.UidValidity, reference.Uid).Contains(modSeq))
                {
                    throw new PreconditionFailedException("The message changed since that ETag was issued (or the ETag is not this message's); read it again.");
                }

                if (!change.IsEmpty)
                {
                    var (flags, keywords) = change.ApplyTo(current.Flags!.Value, current.Keywords ?? (IEnumerable<string>)[]);
                    var request = new StoreFlagsRequest(StoreAction.Set, flags, keywords) { Silent = true, UnchangedSince = modSeq };
                    var unchanged = await folder.StoreAsync([uid], request, ct);
                    if (unchanged.Count > 0)
                    {
                        throw new PreconditionFailedException("The message changed while the write was made; nothing was changed. Read it again.");
                    }
                }
            }
            else
            {
                await StoreAsync(folder, [uid], change, ct);
            }

            var written = (await ImapMailbox.FetchSummariesAsync(lease.Client, folder, [uid], ct)).FirstOrDefault() ?? throw NotFound();
            if (!change.IsEmpty)
            {
                await cacheSync.AfterWriteAsync(lease, folder, mailbox, ct);
            }

            return written;
        }, cancellationToken);
        return new WrittenMessage(mailbox.Id, reference.UidValidity, summary);
    }

    /// <summary>Moves a message to another mailbox.</summary>
    /// <returns>The message's id in the target mailbox; null when the server does not say (no UIDPLUS).</returns>
    /// <exception cref="RequestValidationException">The id is malformed, or the target is the message's own mailbox.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such message.</exception>
    /// <exception cref="TargetMailboxNotFoundException">No such target mailbox.</exception>
    /// <exception cref="IncompleteWriteException">The move stopped halfway; the message is in both mailboxes.</exception>
    public Task<string?> MoveAsync(AccountSession session, string messageId, string targetIdOrAlias, CancellationToken cancellationToken) =>
        TransferOneAsync(session, messageId, targetIdOrAlias, move: true, cancellationToken);

    /// <summary>Copies a message to a mailbox (its own mailbox too).</summary>
    /// <returns>The copy's id; null when the server does not say (no UIDPLUS).</returns>
    /// <exception cref="RequestValidationException">The id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such message.</exception>
    /// <exception cref="TargetMailboxNotFoundException">No such target mailbox.</exception>
    public Task<string?> CopyAsync(AccountSession session, string messageId, string targetIdOrAlias, CancellationToken cancellationToken) =>
        TransferOneAsync(session, messageId, targetIdOrAlias, move: false, cancellationToken);

    /// <summary>Deletes a message: moves it to the account's Trash, or, with <paramref name="permanent"/> or when it is
    /// in the Trash already, removes it for good (<c>UID STORE +FLAGS.SILENT (\Deleted)</c>, <c>UID EXPUNGE</c> of that
    /// UID only).</summary>
    /// <exception cref="RequestValidationException">The id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such message.</exception>
    /// <exception cref="ConflictException">The account has no Trash and <paramref name="permanent"/> is false, or the
    /// server cannot expunge one message alone (no UIDPLUS).</exception>
    public async Task DeleteAsync(AccountSession session, string messageId, bool permanent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var reference = ParseMessageId(messageId);
        var mailbox = await SourceAsync(session, reference.MailboxId, cancellationToken);
        if (!permanent)
        {
            var trash = await TrashAsync(session, cancellationToken)
                ?? throw new ConflictException("The account has no Trash mailbox (no mailbox with the trash role): delete with permanent=true to remove the message for good.");
            if (trash.Id != mailbox.Id)
            {
                await TransferAsync(session, mailbox, trash, reference, move: true, cancellationToken);
                return;
            }
        }

        var removing = 0;
        try
        {
            await RunAsync(session, mailbox, reference.UidValidity, retryable: false, async (lease, folder, ct) =>
            {
                var uid = new UniqueId(reference.Uid);
                RequireUidPlus(lease.Client, "remove one message for good");
                await CurrentAsync(folder, uid, condstore: false, ct);
                Volatile.Write(ref removing, 1);
                await folder.StoreAsync([uid], new StoreFlagsRequest(StoreAction.Add, MailKit.MessageFlags.Deleted) { Silent = true }, ct);
                await folder.ExpungeAsync([uid], ct);
                Volatile.Write(ref removing, 0);
                await cacheSync.AfterWriteAsync(lease, folder, mailbox, ct);
                return true;
            }, cancellationToken);
        }
        catch (GatewayException ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
            && Volatile.Read(ref removing) == 1)
        {
            throw new IncompleteWriteException(
                "The connection to the IMAP server failed while the message was being removed for good: it may still be there "
                + "(possibly marked \\Deleted) or already be gone; no other message was touched. Delete it again (a message already gone answers 404).",
                ex);
        }
    }

    /// <summary>Marks every message of a mailbox seen with one command (<c>UID STORE 1:* +FLAGS.SILENT (\Seen)</c>).</summary>
    /// <exception cref="MailboxNotFoundException">No such mailbox.</exception>
    public async Task MarkReadAsync(AccountSession session, string mailboxIdOrAlias, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var mailbox = await mailboxes.ResolveAsync(session, mailboxIdOrAlias, refresh: false, cancellationToken);
        if (!mailbox.Selectable)
        {
            throw new MailboxNotFoundException("The mailbox cannot hold messages.");
        }

        try
        {
            await RunAsync(session, mailbox, uidValidity: null, retryable: true, async (lease, folder, ct) =>
            {
                if (folder.Count > 0)
                {
                    await folder.StoreAsync(UniqueIdRange.All, new StoreFlagsRequest(StoreAction.Add, MailKit.MessageFlags.Seen) { Silent = true }, ct);
                    await cacheSync.AfterWriteAsync(lease, folder, mailbox, ct);
                }

                return true;
            }, cancellationToken);
        }
        catch (Errors.MessageNotFoundException)
        {
            throw new MailboxNotFoundException($"Mailbox '{mailboxIdOrAlias}' does not exist.");
        }
    }

    private async Task<string?> TransferOneAsync(AccountSession session, string messageId, string targetIdOrAlias, bool move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var reference = ParseMessageId(messageId);
        var source = await SourceAsync(session, reference.MailboxId, cancellationToken);
        var target = await TargetAsync(session, targetIdOrAlias, cancellationToken);
        if (move && target.Id == source.Id)
        {
            throw RequestValidationException.For("mailboxId", "The message is in that mailbox already.");
        }

        return await TransferAsync(session, source, target, reference, move, cancellationToken);
    }

    private async Task<string?> TransferAsync(AccountSession session, MailboxRef source, MailboxRef target, MessageRef reference, bool move, CancellationToken cancellationToken)
    {
        var progress = new TransferProgress();
        var map = await GuardAsync(progress, target, () => RunAsync(session, source, reference.UidValidity, retryable: false, async (lease, folder, ct) =>
        {
            var uid = new UniqueId(reference.Uid);
            await CurrentAsync(folder, uid, condstore: false, ct);
            var result = await TransferAsync(lease, session.AccountId, folder, target, [uid], move, progress, ct);
            if (move)
            {
                await cacheSync.AfterWriteAsync(lease, folder, source, ct);
            }

            return result;
        }, cancellationToken));
        await freshness.ForgetAsync(target.Id, cancellationToken);

        var destination = map.Destination.Count > 0 ? map.Destination[0] : (UniqueId?)null;
        if (destination is null && map.Source.Count == 0 && progress.UidPlus)
        {
            // The server reports COPYUID for every message it copied: none means the message was gone.
            throw NotFound();
        }

        return destination is { } d && d.Validity != 0 ? MessageIds.For(target.Id, d.Validity, d.Id) : null;
    }

    /// <summary>Opens the mailbox read-write on a pooled connection, checks the UIDVALIDITY (when given) and runs
    /// <paramref name="operation"/>; a mailbox that vanished since it was cached is looked up once more, then 404.</summary>
    private async Task<T> RunAsync<T>(
        AccountSession session, MailboxRef mailbox, uint? uidValidity, bool retryable,
        Func<ImapLease, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var path = mailbox.Path;
            try
            {
                return await pool.ExecuteAsync(session.Account, async (lease, ct) =>
                {
                    var folder = await OpenForWriteAsync(lease, path, uidValidity, ct);
                    try
                    {
                        return await operation(lease, folder, ct);
                    }
                    catch (MailKit.MessageNotFoundException)
                    {
                        throw NotFound();
                    }
                }, new ImapOperationOptions(path, retryable), cancellationToken);
            }
            catch (MailboxVanishedException) when (attempt == 0)
            {
                LogMailboxVanished(session.AccountId);
                mailbox = await SourceAsync(session, mailbox.Id, cancellationToken, refresh: true);
            }
            catch (MailboxVanishedException)
            {
                throw NotFound();
            }
        }
    }

    /// <summary>SELECTs <paramref name="path"/> (skipped when it is selected read-write already) and checks its
    /// UIDVALIDITY, selecting once more if a reused selection disagrees (a recreated mailbox).</summary>
    private static async Task<IMailFolder> OpenForWriteAsync(ImapLease lease, string path, uint? uidValidity, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            IMailFolder folder;
            try
            {
                folder = await lease.OpenMailboxAsync(path, FolderAccess.ReadWrite, ct);
            }
            catch (FolderNotFoundException ex)
            {
                lease.ForgetSelection();
                throw new MailboxVanishedException($"Mailbox '{path}' does not exist.", ex);
            }
            catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
            {
                lease.ForgetSelection();
                throw new MailboxVanishedException($"SELECT of '{path}' was refused: {ex.ResponseText}", ex);
            }

            if (uidValidity is null || folder.UidValidity == uidValidity)
            {
                return folder;
            }

            lease.ForgetSelection();
            if (attempt > 0)
            {
                throw new UidValidityChangedException("The mailbox was recreated (its UIDVALIDITY changed); this message id is no longer valid.");
            }
        }
    }

    /// <summary>The message's flags (and MODSEQ with CONDSTORE): one <c>UID FETCH</c>, which also proves it exists.</summary>
    private static async Task<IMessageSummary> CurrentAsync(IMailFolder folder, UniqueId uid, bool condstore, CancellationToken ct)
    {
        var items = condstore ? StateItems | MessageSummaryItems.ModSeq : StateItems;
        var fetched = await folder.FetchAsync([uid], items, ct);
        return fetched.FirstOrDefault(m => m.UniqueId == uid && m.Flags is not null) ?? throw NotFound();
    }

    /// <summary>One <c>UID STORE +FLAGS.SILENT</c> for what is added and one <c>-FLAGS.SILENT</c> for what is removed
    /// (only those needed).</summary>
    private static async Task StoreAsync(IMailFolder folder, List<UniqueId> uids, FlagChange change, CancellationToken ct)
    {
        if (change.HasAdds)
        {
            await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, change.FlagsToAdd, change.AddKeywords) { Silent = true }, ct);
        }

        if (change.HasRemoves)
        {
            await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, change.FlagsToRemove, change.RemoveKeywords) { Silent = true }, ct);
        }
    }

    private async Task<MailboxRef> SourceAsync(AccountSession session, string mailboxId, CancellationToken cancellationToken, bool refresh = false)
    {
        try
        {
            var mailbox = await mailboxes.ResolveAsync(session, mailboxId, refresh, cancellationToken);
            return mailbox.Selectable ? mailbox : throw NotFound();
        }
        catch (MailboxNotFoundException)
        {
            throw NotFound();
        }
    }

    private async Task<MailboxRef> TargetAsync(AccountSession session, string idOrAlias, CancellationToken cancellationToken)
    {
        if (!MailboxIds.IsWellFormed(idOrAlias))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_' (or a role alias such as 'trash').");
        }

        try
        {
            var target = await mailboxes.ResolveAsync(session, idOrAlias, refresh: false, cancellationToken);
            return target.Selectable ? target : throw new TargetMailboxNotFoundException("The target mailbox cannot hold messages.");
        }
        catch (MailboxNotFoundException)
        {
            throw new TargetMailboxNotFoundException($"The target mailbox '{idOrAlias}' does not exist.");
        }
    }

    private async Task<MailboxRef?> TrashAsync(AccountSession session, CancellationToken cancellationToken)
    {
        try
        {
            var trash = await mailboxes.ResolveAsync(session, "trash", refresh: false, cancellationToken);
            return trash.Selectable ? trash : null;
        }
        catch (MailboxNotFoundException)
        {
            return null;
        }
    }

    private static void RequireUidPlus(ImapClient client, string what)
    {
        if (!client.Capabilities.HasFlag(ImapCapabilities.UidPlus))
        {
            throw new ConflictException(
                $"The IMAP server has no UIDPLUS, so it cannot {what} without a plain EXPUNGE, which would also remove every other message marked deleted; the gateway refuses.");
        }
    }

    private static MessageRef ParseMessageId(string? messageId) =>
        MessageIds.TryParse(messageId, out var reference)
            ? reference
            : throw RequestValidationException.For("messageId", "Not a message id of this gateway.");

    private static Errors.MessageNotFoundException NotFound() => new("The message does not exist.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "A mailbox of account {AccountId} vanished since it was cached; looking it up again")]
    private partial void LogMailboxVanished(string accountId);
}

/// <summary>A message as a write left it.</summary>
/// <param name="MailboxId">Its mailbox.</param>
/// <param name="UidValidity">The mailbox's UIDVALIDITY.</param>
/// <param name="Summary">What listings show of it, read after the write.</param>
public sealed record WrittenMessage(string MailboxId, uint UidValidity, MessageSummary Summary)
{
    /// <summary>Its entity tag (null without CONDSTORE).</summary>
    public string? ETag => MessageETags.For(UidValidity, Summary.Uid, Summary.ModSeq);
}

using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages.Cache;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Messages.Writes;

/// <content>Moving and copying: MOVE, or the COPY + STORE \Deleted + UID EXPUNGE fallback, and what a failure halfway
/// means.</content>
public sealed partial class MessageWriter
{
    /// <summary>Copies or moves <paramref name="uids"/> from the selected <paramref name="folder"/> to
    /// <paramref name="target"/>; <paramref name="progress"/> records how far it got for the error report.</summary>
    private async Task<UniqueIdMap> TransferAsync(
        ImapLease lease, string accountId, IMailFolder folder, MailboxRef target, List<UniqueId> uids, bool move, TransferProgress progress, CancellationToken ct)
    {
        var client = lease.Client;
        progress.Move = move;
        progress.UidPlus = client.Capabilities.HasFlag(ImapCapabilities.UidPlus);
        var destination = await DestinationAsync(lease, accountId, target, ct);
        var useMove = move && client.Capabilities.HasFlag(ImapCapabilities.Move);
        if (move && !useMove)
        {
            RequireUidPlus(client, "move messages");
        }

        UniqueIdMap map;
        progress.Step = useMove ? TransferStep.Moving : TransferStep.Copying;
        try
        {
            map = useMove ? await folder.MoveToAsync(uids, destination, ct) : await folder.CopyToAsync(uids, destination, ct);
        }
        catch (Exception ex) when (ex is ImapCommandException or ArgumentException)
        {
            // Refused: nothing was copied or moved. The target may have gone (TRYCREATE), or the account is full.
            progress.Step = TransferStep.None;
            throw await RefusedAsync(client, target, ex, ct);
        }

        if (!move || useMove)
        {
            progress.Step = TransferStep.Done;
            return map;
        }

        // The fallback: the message is in both mailboxes from here until the UID EXPUNGE.
        progress.Copied = map;
        LogFallbackMove(uids.Count);
        try
        {
            progress.Step = TransferStep.MarkingDeleted;
            await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MailKit.MessageFlags.Deleted) { Silent = true }, ct);
            progress.Step = TransferStep.Expunging;
            await folder.ExpungeAsync(uids, ct);
        }
        catch (ImapCommandException ex)
        {
            // The connection is fine: take the \Deleted mark back, so the source copy is an ordinary message again.
            var undone = false;
            try
            {
                await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, MailKit.MessageFlags.Deleted) { Silent = true }, ct);
                undone = true;
            }
            catch (ImapCommandException)
            {
            }

            throw new IncompleteWriteException(
                Describe(progress, target, undone),
                new UpstreamProtocolException("The IMAP server refused the command: " + ex.ResponseText, ex));
        }

        progress.Step = TransferStep.Done;
        return map;
    }

    /// <summary>The target's folder on this connection (LIST the first time); gone means 409.</summary>
    private async Task<IMailFolder> DestinationAsync(ImapLease lease, string accountId, MailboxRef target, CancellationToken ct)
    {
        try
        {
            return await ImapMailbox.FolderAsync(lease.Client, target.Path, ct);
        }
        catch (MailboxVanishedException)
        {
            await directory.InvalidateAsync(accountId, CancellationToken.None);
            throw new TargetMailboxNotFoundException("The target mailbox does not exist.");
        }
    }

    private static async Task<GatewayException> RefusedAsync(ImapClient client, MailboxRef target, Exception ex, CancellationToken ct)
    {
        var text = ex is ImapCommandException command ? command.ResponseText : ex.Message;
        try
        {
            await client.GetFolderAsync(target.Path, ct);
        }
        catch (FolderNotFoundException)
        {
            return new TargetMailboxNotFoundException("The target mailbox does not exist.") { ImapCode = "TRYCREATE" };
        }

        if (text.Contains("quota", StringComparison.OrdinalIgnoreCase))
        {
            return new OverQuotaException("The target mailbox is over its quota: " + text, ex) { ImapCode = "OVERQUOTA" };
        }

        return new UpstreamProtocolException("The IMAP server refused the command: " + text, ex);
    }

    /// <summary>Runs a transfer and turns an upstream failure after the point of no return into a clear report.</summary>
    private static async Task<T> GuardAsync<T>(TransferProgress progress, MailboxRef target, Func<Task<T>> transfer)
    {
        try
        {
            return await transfer();
        }
        catch (GatewayException ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
            && progress.Step is TransferStep.Copying or TransferStep.Moving or TransferStep.MarkingDeleted or TransferStep.Expunging)
        {
            throw new IncompleteWriteException(Describe(progress, target, undone: false), ex);
        }
    }

    private static string Describe(TransferProgress progress, MailboxRef target, bool undone)
    {
        var copy = progress.Copied?.Destination is { Count: > 0 } d && d[0].Validity != 0
            ? $" (its id there: {MessageIds.For(target.Id, d[0].Validity, d[0].Id)}{(d.Count > 1 ? ", ..." : string.Empty)})"
            : string.Empty;
        return progress.Step switch
        {
            TransferStep.Copying when progress.Move =>
                "The connection to the IMAP server failed while it was copying the message to the target (the first step of a "
                + "move without MOVE): the message is still in the source mailbox, and the target may or may not hold a copy. "
                + "List the target before moving again (a second move would copy it a second time).",
            TransferStep.Copying =>
                "The connection to the IMAP server failed while it was copying the message: the message is still in its mailbox, "
                + "and the target may or may not hold a copy. List the target before copying again.",
            TransferStep.Moving =>
                "The connection to the IMAP server failed while it was moving the message (one atomic MOVE): it is either still "
                + "in the source mailbox or already in the target, never in neither. List the target before moving again.",
            TransferStep.MarkingDeleted or TransferStep.Expunging when undone =>
                $"The message was copied to the target mailbox{copy} but could not be removed from the source: it is now in both mailboxes. "
                + "Delete the source message for good (permanent=true) to finish the move; moving it again would copy it a second time.",
            _ =>
                $"The message was copied to the target mailbox{copy}, but the connection failed before its removal from the source "
                + "was confirmed: the source copy may still be there (marked \\Deleted) or already be gone. If it is still there, delete it "
                + "for good (permanent=true) to finish the move; moving it again would copy it a second time.",
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Moving {Count} messages by COPY, STORE and UID EXPUNGE (the server has no MOVE)")]
    private partial void LogFallbackMove(int count);

    private enum TransferStep
    {
        None,
        Copying,
        Moving,
        MarkingDeleted,
        Expunging,
        Done,
    }

    /// <summary>How far a transfer got (written by the operation, read by the caller after a failure).</summary>
    private sealed class TransferProgress
    {
        public volatile TransferStep Step;

        public bool Move { get; set; }

        public bool UidPlus { get; set; }

        public UniqueIdMap? Copied { get; set; }
    }
}

using MailKit;

namespace Gateway.Core.Imap;

/// <summary>
/// Every MailKit folder event that means "the server reported something about this mailbox": EXISTS, EXPUNGE,
/// VANISHED, FETCH (flags, keywords, MODSEQ), a changed UIDNEXT, UIDVALIDITY or HIGHESTMODSEQ, a rename, a delete, a
/// close. MailKit raises them while it reads a response, where no command may be sent (PITFALLS 10): handlers only
/// record.
/// </summary>
internal static class FolderReports
{
    /// <summary>Subscribes (<paramref name="on"/>) or unsubscribes <paramref name="handler"/> to all of them.</summary>
    public static void Watch(IMailFolder folder, EventHandler handler, bool on)
    {
        // handler.Invoke converts to each event's own delegate type; equal conversions unsubscribe each other.
        if (on)
        {
            folder.CountChanged += handler.Invoke;
            folder.RecentChanged += handler.Invoke;
            folder.UidNextChanged += handler.Invoke;
            folder.UidValidityChanged += handler.Invoke;
            folder.HighestModSeqChanged += handler.Invoke;
            folder.MessageExpunged += handler.Invoke;
            folder.MessagesVanished += handler.Invoke;
            folder.MessageFlagsChanged += handler.Invoke;
            folder.MessageLabelsChanged += handler.Invoke;
            folder.ModSeqChanged += handler.Invoke;
            folder.AnnotationsChanged += handler.Invoke;
            folder.MessageSummaryFetched += handler.Invoke;
            folder.Renamed += handler.Invoke;
            folder.Deleted += handler.Invoke;
            folder.Closed += handler.Invoke;
        }
        else
        {
            folder.CountChanged -= handler.Invoke;
            folder.RecentChanged -= handler.Invoke;
            folder.UidNextChanged -= handler.Invoke;
            folder.UidValidityChanged -= handler.Invoke;
            folder.HighestModSeqChanged -= handler.Invoke;
            folder.MessageExpunged -= handler.Invoke;
            folder.MessagesVanished -= handler.Invoke;
            folder.MessageFlagsChanged -= handler.Invoke;
            folder.MessageLabelsChanged -= handler.Invoke;
            folder.ModSeqChanged -= handler.Invoke;
            folder.AnnotationsChanged -= handler.Invoke;
            folder.MessageSummaryFetched -= handler.Invoke;
            folder.Renamed -= handler.Invoke;
            folder.Deleted -= handler.Invoke;
            folder.Closed -= handler.Invoke;
        }
    }
}

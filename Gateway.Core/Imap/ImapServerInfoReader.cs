using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

/// <summary>Reads <see cref="ImapServerInfo"/> off an authenticated client.</summary>
public static class ImapServerInfoReader
{
    public static ImapCapabilitySet Capabilities(ImapClient client)
    {
        var c = client.Capabilities;
        return new ImapCapabilitySet(
            Condstore: c.HasFlag(ImapCapabilities.CondStore),
            Qresync: c.HasFlag(ImapCapabilities.QuickResync),
            ObjectId: c.HasFlag(ImapCapabilities.ObjectID),
            Sort: c.HasFlag(ImapCapabilities.Sort),
            Thread: c.HasFlag(ImapCapabilities.Thread),
            Idle: c.HasFlag(ImapCapabilities.Idle),
            Notify: c.HasFlag(ImapCapabilities.Notify),
            Move: c.HasFlag(ImapCapabilities.Move),
            Utf8: c.HasFlag(ImapCapabilities.UTF8Accept) || c.HasFlag(ImapCapabilities.UTF8Only),
            SpecialUse: c.HasFlag(ImapCapabilities.SpecialUse),
            ListStatus: c.HasFlag(ImapCapabilities.ListStatus),
            Quota: c.HasFlag(ImapCapabilities.Quota));
    }

    /// <summary>Capabilities plus the INBOX quota root where QUOTA is offered (best-effort: a refusal means no quota).</summary>
    public static async Task<ImapServerInfo> ReadAsync(ImapClient client, CancellationToken cancellationToken)
    {
        var capabilities = Capabilities(client);
        QuotaInfo? quota = null;
        if (capabilities.Quota)
        {
            try
            {
                // GETQUOTAROOT "INBOX"; STORAGE is in units of 1024 octets (RFC 9208).
                var q = await client.Inbox.GetQuotaAsync(cancellationToken);
                quota = new QuotaInfo(
                    q.CurrentStorageSize is { } used ? (long)used * 1024 : null,
                    q.StorageLimit is { } limit ? (long)limit * 1024 : null,
                    q.CurrentMessageCount is { } count ? (long)count : null,
                    q.MessageLimit is { } max ? (long)max : null);
            }
            catch (Exception ex) when (ex is ImapCommandException or NotSupportedException or FolderNotFoundException)
            {
                // No quota to report; the account works all the same.
            }
        }

        return new ImapServerInfo(capabilities, quota);
    }
}

using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace Gateway.Core.Messages;

/// <summary>The IMAP items a <see cref="MessageSummary"/> is made of, and the mapping from MailKit's summary.</summary>
public static class SummaryFetch
{
    /// <summary>Longest preview kept (characters); the server's PREVIEW is cut here.</summary>
    public const int PreviewLength = 100;

    private const MessageSummaryItems BaseItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.Envelope
        | MessageSummaryItems.BodyStructure;

    /// <summary>What to fetch on <paramref name="client"/>: MODSEQ with CONDSTORE, PREVIEW only where the server computes
    /// it (without PREVIEW MailKit would download body text, too slow for listings).</summary>
    public static MessageSummaryItems ItemsFor(ImapClient client)
    {
        var items = BaseItems;
        if (client.Capabilities.HasFlag(ImapCapabilities.CondStore))
        {
            items |= MessageSummaryItems.ModSeq;
        }

        if (client.Capabilities.HasFlag(ImapCapabilities.Preview))
        {
            items |= MessageSummaryItems.PreviewText;
        }

        return items;
    }

    /// <summary>Maps one fetched message; null when the server left out something every summary needs.</summary>
    public static MessageSummary? From(IMessageSummary m)
    {
        if (!m.UniqueId.IsValid || m.Envelope is null || m.InternalDate is null || m.Flags is null)
        {
            return null;
        }

        var e = m.Envelope;
        return new MessageSummary(
            m.UniqueId.Id,
            m.ModSeq ?? 0,
            MapFlags(m.Flags.Value),
            Keywords(m.Keywords),
            m.InternalDate.Value.ToUniversalTime(),
            e.Date?.ToUniversalTime(),
            m.Size ?? 0,
            AttachmentRules.HasAttachments(m.Body),
            e.Subject,
            Addresses(e.From),
            Addresses(e.To),
            Addresses(e.Cc),
            Addresses(e.ReplyTo),
            StripBrackets(e.MessageId),
            StripBrackets(e.InReplyTo),
            Preview(m.PreviewText));
    }

    public static MessageFlags MapFlags(MailKit.MessageFlags flags)
    {
        var result = MessageFlags.None;
        if (flags.HasFlag(MailKit.MessageFlags.Seen))
        {
            result |= MessageFlags.Seen;
        }

        if (flags.HasFlag(MailKit.MessageFlags.Flagged))
        {
            result |= MessageFlags.Flagged;
        }

        if (flags.HasFlag(MailKit.MessageFlags.Answered))
        {
            result |= MessageFlags.Answered;
        }

        if (flags.HasFlag(MailKit.MessageFlags.Draft))
        {
            result |= MessageFlags.Draft;
        }

        if (flags.HasFlag(MailKit.MessageFlags.Deleted))
        {
            result |= MessageFlags.Deleted;
        }

        return result;
    }

    public static IReadOnlyList<string> Keywords(IReadOnlySet<string>? keywords) =>
        keywords is null || keywords.Count == 0 ? [] : keywords.Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<EmailAddress> Addresses(InternetAddressList? list)
    {
        if (list is null || list.Count == 0)
        {
            return [];
        }

        var result = new List<EmailAddress>(list.Count);
        foreach (var mailbox in list.Mailboxes)
        {
            result.Add(new EmailAddress(string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name, mailbox.Address ?? string.Empty));
        }

        return result;
    }

    public static string? StripBrackets(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        var s = id.Trim();
        if (s.Length >= 2 && s[0] == '<' && s[^1] == '>')
        {
            s = s[1..^1];
        }

        return s.Length == 0 ? null : s;
    }

    public static string? Preview(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length <= PreviewLength)
        {
            return text;
        }

        // Do not cut a surrogate pair in half.
        var cut = char.IsHighSurrogate(text[PreviewLength - 1]) ? PreviewLength - 1 : PreviewLength;
        return text[..cut];
    }
}

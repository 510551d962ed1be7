using MailKit;
using MailKit.Net.Imap;
using MimeKit;
using MimeKit.Utils;

namespace Gateway.Core.Messages;

/// <summary>The IMAP items a <see cref="MessageSummary"/> is made of, and the mapping from MailKit's summary.</summary>
public static class SummaryFetch
{
    /// <summary>Longest preview kept (characters); the server's PREVIEW is cut here.</summary>
    public const int PreviewLength = 100;

    private const MessageSummaryItems BaseItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags
        | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.BodyStructure;

    /// <summary>The header fields a summary shows. They are fetched as a body section rather than as ENVELOPE: MailKit
    /// refuses ENVELOPE strings longer than 4 KB (and drops the connection), and real mail has such headers.</summary>
    private static readonly HeaderSet Fields = new(
    [
        HeaderId.Date, HeaderId.Subject, HeaderId.From, HeaderId.To, HeaderId.Cc, HeaderId.ReplyTo, HeaderId.MessageId, HeaderId.InReplyTo,
    ]);

    /// <summary>What to fetch on <paramref name="client"/>: MODSEQ with CONDSTORE, PREVIEW only where the server computes
    /// it (without PREVIEW MailKit would download body text, too slow for listings).</summary>
    public static IFetchRequest RequestFor(ImapClient client) => RequestFor(client, null);

    /// <summary>The summary items of messages changed since <paramref name="changedSince"/> (CHANGEDSINCE, plus
    /// VANISHED with QRESYNC enabled), or of all requested messages when it is null.</summary>
    public static FetchRequest RequestFor(ImapClient client, ulong? changedSince)
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

        return new FetchRequest(items) { Headers = Fields, ChangedSince = changedSince };
    }

    /// <summary>Maps one fetched message; null when the server left out something every summary needs.</summary>
    public static MessageSummary? From(IMessageSummary m)
    {
        if (!m.UniqueId.IsValid || m.InternalDate is null || m.Flags is null || m.Headers is null)
        {
            return null;
        }

        var h = m.Headers;
        return new MessageSummary(
            m.UniqueId.Id,
            m.ModSeq ?? 0,
            MapFlags(m.Flags.Value),
            Keywords(m.Keywords),
            m.InternalDate.Value.ToUniversalTime(),
            ParseDate(h[HeaderId.Date]),
            m.Size ?? 0,
            AttachmentRules.HasAttachments(m.Body),
            h[HeaderId.Subject],
            Addresses(h, HeaderId.From),
            Addresses(h, HeaderId.To),
            Addresses(h, HeaderId.Cc),
            Addresses(h, HeaderId.ReplyTo),
            FirstMessageId(h[HeaderId.MessageId]),
            FirstMessageId(h[HeaderId.InReplyTo]),
            Preview(m.PreviewText));
    }

    /// <summary>Every address of every occurrence of <paramref name="field"/> (groups flattened).</summary>
    public static IReadOnlyList<EmailAddress> Addresses(HeaderList headers, HeaderId field)
    {
        List<EmailAddress>? result = null;
        foreach (var header in headers)
        {
            if (header.Id != field)
            {
                continue;
            }

            var raw = header.RawValue;
            if (SimpleAddress.TryParse(raw, out var simple))
            {
                result ??= [];
                result.Add(simple);
            }
            else if (InternetAddressList.TryParse(ParserOptions.Default, raw, 0, raw.Length, out var list))
            {
                result ??= [];
                result.AddRange(Addresses(list));
            }
        }

        return result ?? (IReadOnlyList<EmailAddress>)[];
    }

    /// <summary>A Date header value as listings read it (UTC), or null when unparsable.</summary>
    public static DateTimeOffset? ParseDate(string? value) =>
        value is not null && DateUtils.TryParse(value, out var date) ? date.ToUniversalTime() : null;

    private static string? FirstMessageId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (SimpleMessageId.TryParse(value, out var simple))
        {
            return simple;
        }

        foreach (var id in MimeUtils.EnumerateReferences(value))
        {
            return id;
        }

        return StripBrackets(value);
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

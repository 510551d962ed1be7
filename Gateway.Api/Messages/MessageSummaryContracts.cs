using System.Text.Json.Serialization;
using Gateway.Core.Messages;

namespace Gateway.Api.Messages;

/// <summary>A name and an address from a header such as From or To.</summary>
/// <param name="Name">Display name, decoded; null when the header gave none.</param>
/// <param name="Address">The address, e.g. <c>alice@example.test</c>.</param>
public sealed record EmailAddressResponse(string? Name, string Address)
{
    public static IReadOnlyList<EmailAddressResponse> From(IReadOnlyList<EmailAddress> list)
    {
        if (list.Count == 0)
        {
            return [];
        }

        var result = new EmailAddressResponse[list.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new EmailAddressResponse(list[i].Name, list[i].Address);
        }

        return result;
    }
}

/// <summary>A message as listings show it.</summary>
/// <param name="Id">Opaque message id (names one message in one mailbox under one UIDVALIDITY).</param>
/// <param name="MailboxId">Id of the mailbox holding it.</param>
/// <param name="Uid">The IMAP UID.</param>
/// <param name="MessageId">The Message-ID header without angle brackets; null when absent.</param>
/// <param name="InReplyTo">The In-Reply-To message id without angle brackets; null when absent.</param>
/// <param name="Subject">Decoded subject; null when absent.</param>
/// <param name="From">From addresses.</param>
/// <param name="To">To addresses.</param>
/// <param name="Cc">Cc addresses.</param>
/// <param name="ReplyTo">Reply-To addresses.</param>
/// <param name="Date">The Date header (RFC 3339, UTC); null when absent or unparsable.</param>
/// <param name="ReceivedAt">When the server received it (IMAP INTERNALDATE, RFC 3339, UTC).</param>
/// <param name="Size">Size in bytes (RFC822.SIZE).</param>
/// <param name="Seen">\Seen is set.</param>
/// <param name="Flagged">\Flagged is set.</param>
/// <param name="Answered">\Answered is set.</param>
/// <param name="Draft">\Draft is set.</param>
/// <param name="Keywords">Non-system flags (IMAP keywords), e.g. <c>$Forwarded</c>.</param>
/// <param name="HasAttachments">True when at least one part is an attachment.</param>
/// <param name="Preview">The first characters of the body text (at most 100); null when the server offers none.</param>
/// <param name="ThreadId">Thread id, where the server offers one; omitted otherwise.</param>
/// <param name="EmailId">Server-wide message id (IMAP OBJECTID), where offered; omitted otherwise.</param>
public sealed record MessageSummaryResponse(
    string Id,
    string MailboxId,
    long Uid,
    string? MessageId,
    string? InReplyTo,
    string? Subject,
    IReadOnlyList<EmailAddressResponse> From,
    IReadOnlyList<EmailAddressResponse> To,
    IReadOnlyList<EmailAddressResponse> Cc,
    IReadOnlyList<EmailAddressResponse> ReplyTo,
    DateTimeOffset? Date,
    DateTimeOffset ReceivedAt,
    long Size,
    bool Seen,
    bool Flagged,
    bool Answered,
    bool Draft,
    IReadOnlyList<string> Keywords,
    bool HasAttachments,
    string? Preview,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ThreadId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EmailId = null)
{
    public static MessageSummaryResponse Create(string mailboxId, uint uidValidity, MessageSummary m) =>
        new(
            MessageIds.For(mailboxId, uidValidity, m.Uid),
            mailboxId,
            m.Uid,
            m.MessageId,
            m.InReplyTo,
            m.Subject,
            EmailAddressResponse.From(m.From),
            EmailAddressResponse.From(m.To),
            EmailAddressResponse.From(m.Cc),
            EmailAddressResponse.From(m.ReplyTo),
            m.Date,
            m.ReceivedAt,
            m.Size,
            m.Seen,
            m.Flagged,
            m.Answered,
            m.Draft,
            m.Keywords,
            m.HasAttachments,
            m.Preview);
}

using System.Text.Json.Serialization;
using Gateway.Core.Messages;

namespace Gateway.Api.Messages;

/// <summary>One header field of a message.</summary>
/// <param name="Name">The field name as written, e.g. <c>Received</c>.</param>
/// <param name="Value">The value, unfolded, with RFC 2047 encoded words decoded.</param>
public sealed record MessageHeaderResponse(string Name, string Value);

/// <summary>An attachment of a message: a part with <c>Content-Disposition: attachment</c>, a file name, or (not text) a
/// Content-ID, such as an inline image that the HTML refers to.</summary>
/// <param name="Id">Attachment id, for <c>GET .../messages/{messageId}/attachments/{attachmentId}</c>; stable for the message.</param>
/// <param name="Filename">The file name, decoded (RFC 2231 and RFC 2047) exactly as the sender wrote it, which may
/// contain path separators or control characters: sanitize before using it as a path. Null when the part has none.</param>
/// <param name="ContentType">Media type, lower case, e.g. <c>image/png</c>.</param>
/// <param name="Size">Size in bytes after decoding the transfer encoding (exact: computed by decoding).</param>
/// <param name="Disposition"><c>attachment</c> or <c>inline</c> as the message says; null when it says nothing.</param>
/// <param name="ContentId">The Content-ID without angle brackets, which HTML refers to as <c>cid:</c>; null when absent.</param>
public sealed record AttachmentResponse(string Id, string? Filename, string ContentType, long Size, string? Disposition, string? ContentId)
{
    public static AttachmentResponse From(MessageAttachment a) => new(a.Id, a.FileName, a.ContentType, a.Size, a.Disposition, a.ContentId);
}

/// <summary>A whole message: everything a listing shows, plus headers, bodies and attachments.</summary>
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
/// <param name="Seen">\Seen is set. Reading the message does not set it.</param>
/// <param name="Flagged">\Flagged is set.</param>
/// <param name="Answered">\Answered is set.</param>
/// <param name="Draft">\Draft is set.</param>
/// <param name="Keywords">Non-system flags (IMAP keywords), e.g. <c>$Forwarded</c>.</param>
/// <param name="HasAttachments">True when <see cref="Attachments"/> is not empty.</param>
/// <param name="Preview">The first characters of the body text (at most 100); null when the server offers none.</param>
/// <param name="Bcc">Bcc addresses (present in drafts and sent copies).</param>
/// <param name="References">The References header's message ids without angle brackets, oldest first.</param>
/// <param name="Headers">Every header field, in the order of the message, values decoded.</param>
/// <param name="Text">The plain text body (every <c>text/plain</c> body part, decoded); null when the message has none
/// (an HTML-only message is not converted to text).</param>
/// <param name="Html">The HTML body as an HTML fragment, sanitized for a browser: no scripts, event handlers, forms,
/// frames, objects or <c>javascript:</c> URLs; no remote loads (images, backgrounds, CSS) unless
/// <c>allowRemote=true</c>; <c>cid:</c> references rewritten to attachment URLs; links open in a new browsing context.
/// Null when the message has no HTML part (a plain-text message is not converted: show <see cref="Text"/>).</param>
/// <param name="Attachments">The attachments, in MIME order, including inline images.</param>
/// <param name="ThreadId">Thread id, where the server offers one; omitted otherwise.</param>
/// <param name="EmailId">Server-wide message id (IMAP OBJECTID), where offered; omitted otherwise.</param>
public sealed record MessageResponse(
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
    IReadOnlyList<EmailAddressResponse> Bcc,
    IReadOnlyList<string> References,
    IReadOnlyList<MessageHeaderResponse> Headers,
    string? Text,
    string? Html,
    IReadOnlyList<AttachmentResponse> Attachments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ThreadId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EmailId = null)
{
    public static MessageResponse Create(MessageContent message)
    {
        var s = MessageSummaryResponse.Create(message.MailboxId, message.UidValidity, message.Summary);
        return new MessageResponse(
            s.Id,
            s.MailboxId,
            s.Uid,
            s.MessageId,
            s.InReplyTo,
            s.Subject,
            s.From,
            s.To,
            s.Cc,
            s.ReplyTo,
            s.Date,
            s.ReceivedAt,
            s.Size,
            s.Seen,
            s.Flagged,
            s.Answered,
            s.Draft,
            s.Keywords,
            s.HasAttachments,
            s.Preview,
            EmailAddressResponse.From(message.Bcc),
            message.References,
            message.Headers.Select(h => new MessageHeaderResponse(h.Name, h.Value)).ToList(),
            message.Text,
            message.Html,
            message.Attachments.Select(AttachmentResponse.From).ToList(),
            s.ThreadId,
            s.EmailId);
    }
}

namespace Gateway.Core.Messages;

/// <summary>One header field, in the order the message has it.</summary>
/// <param name="Name">The field name as written, e.g. <c>Received</c>.</param>
/// <param name="Value">The value unfolded, with RFC 2047 encoded words decoded.</param>
public sealed record MessageHeader(string Name, string Value);

/// <summary>One attachment of a message (see <see cref="AttachmentRules"/> for what counts).</summary>
/// <param name="Id">Attachment id (see <see cref="AttachmentIds"/>).</param>
/// <param name="FileName">Decoded file name (RFC 2231 and RFC 2047), as the sender wrote it; null when it has none.</param>
/// <param name="ContentType">Media type, lower case, e.g. <c>image/png</c>.</param>
/// <param name="Size">Decoded size in bytes: exact, computed by decoding the part's transfer encoding.</param>
/// <param name="Disposition"><c>attachment</c>, <c>inline</c> (lower case), or null when the part has no
/// Content-Disposition.</param>
/// <param name="ContentId">Content-ID without angle brackets; null when absent.</param>
public sealed record MessageAttachment(string Id, string? FileName, string ContentType, long Size, string? Disposition, string? ContentId);

/// <summary>A whole message as the message resource shows it.</summary>
/// <param name="MailboxId">Id of the mailbox holding it.</param>
/// <param name="UidValidity">The mailbox's UIDVALIDITY.</param>
/// <param name="Summary">What listings show of it.</param>
/// <param name="Bcc">Bcc addresses (present in drafts and sent copies).</param>
/// <param name="References">The References header's message ids, without angle brackets, oldest first.</param>
/// <param name="Headers">Every header field of the message, in order.</param>
/// <param name="Text">The plain text body (all <c>text/plain</c> body parts, decoded); null when the message has none.</param>
/// <param name="Html">The HTML body, sanitized (<see cref="MessageHtmlSanitizer"/>); null when the message has no HTML
/// part (a plain-text message is not converted: show <see cref="Text"/>).</param>
/// <param name="Attachments">The attachments, in MIME order.</param>
public sealed record MessageContent(
    string MailboxId,
    uint UidValidity,
    MessageSummary Summary,
    IReadOnlyList<EmailAddress> Bcc,
    IReadOnlyList<string> References,
    IReadOnlyList<MessageHeader> Headers,
    string? Text,
    string? Html,
    IReadOnlyList<MessageAttachment> Attachments);

/// <summary>How to render a message.</summary>
/// <param name="AllowRemote">Keep remote loads in the HTML (images, backgrounds, CSS); off by default.</param>
/// <param name="AttachmentUrl">The URL that serves an attachment, given its id; <c>cid:</c> references are rewritten to
/// it.</param>
public sealed record MessageReadOptions(bool AllowRemote, Func<string, string> AttachmentUrl);

/// <summary>Bytes ready to be streamed to a caller: found and checked, not yet read.</summary>
/// <param name="ContentType">The media type to answer with, e.g. <c>image/png</c> or <c>message/rfc822</c>.</param>
/// <param name="FileName">A decoded file name for the download; null when the part has none.</param>
/// <param name="WriteToAsync">Reads the bytes from the IMAP server in bounded chunks and writes them (decoded) to the
/// stream. A failure after the first byte was written throws: the caller can only abort the response.</param>
public sealed record MessageDownload(string ContentType, string? FileName, Func<Stream, CancellationToken, Task> WriteToAsync);

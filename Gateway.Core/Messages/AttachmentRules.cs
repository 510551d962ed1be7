using MailKit;
using MimeKit;

namespace Gateway.Core.Messages;

/// <summary>
/// One definition of "attachment", used by listings (<c>hasAttachments</c>, from BODYSTRUCTURE) and by the message
/// resource (<c>attachments</c>, from the parsed MIME tree), so the two agree.
/// </summary>
/// <remarks>
/// <para>An attachment is a leaf part (see <see cref="MessageParts"/>: not multipart, not an encapsulated message),
/// anywhere in the tree including inside attached messages and including the message's only part, that</para>
/// <list type="bullet">
/// <item>says <c>Content-Disposition: attachment</c> (any case), or</item>
/// <item>has a file name (<c>filename</c> of Content-Disposition, else <c>name</c> of Content-Type; RFC 2231 and
/// RFC 2047 decoded), or</item>
/// <item>has a Content-ID and is not text: an inline image (or other object) that HTML refers to with <c>cid:</c>.</item>
/// </list>
/// <para>A part of type <c>message/*</c> is never an attachment itself. Text parts with a file name count (a
/// <c>notes.txt</c> shown inline is still a file the sender attached).</para>
/// <para>The first two rules are how Python's <c>email</c> package counts attachments (a recursive walk over leaf parts
/// with <c>get_content_disposition() == "attachment"</c> or <c>get_filename()</c>), which the corpus manifest was
/// computed with; the third makes inline images without a file name addressable as attachments, so <c>cid:</c>
/// references can always point at one.</para>
/// </remarks>
public static class AttachmentRules
{
    /// <summary>True when the body structure holds at least one attachment.</summary>
    /// <remarks>The walk of <see cref="MessageParts.Leaves(BodyPart?)"/> without its part numbers, stopping at the first
    /// attachment: every listed message goes through here when a cache is filled.</remarks>
    public static bool HasAttachments(BodyPart? body)
    {
        switch (body)
        {
            case BodyPartMultipart multipart:
                foreach (var part in multipart.BodyParts)
                {
                    if (HasAttachments(part))
                    {
                        return true;
                    }
                }

                return false;
            case BodyPartMessage message:
                return HasAttachments(message.Body);
            case BodyPartBasic basic:
                return IsAttachment(basic);
            default:
                return false;
        }
    }

    /// <summary>Counts the attachments in a body structure.</summary>
    public static int CountAttachments(BodyPart body) => MessageParts.Leaves(body).Count(leaf => IsAttachment(leaf.Part));

    /// <summary>True when the parsed message holds at least one attachment.</summary>
    public static bool HasAttachments(MimeMessage message) => CountAttachments(message) > 0;

    /// <summary>Counts the attachments in a parsed message.</summary>
    public static int CountAttachments(MimeMessage message) => MessageParts.Leaves(message).Count(leaf => IsAttachment(leaf.Part));

    /// <summary>Whether a leaf of a body structure is an attachment.</summary>
    public static bool IsAttachment(BodyPartBasic part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return part is not BodyPartMessage
            && IsAttachment(part.ContentType.MediaType, part.ContentDisposition?.Disposition, part.FileName, part.ContentId);
    }

    /// <summary>Whether a leaf of a parsed message is an attachment.</summary>
    public static bool IsAttachment(MimeEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return entity is not (Multipart or MessagePart)
            && IsAttachment(entity.ContentType.MediaType, entity.ContentDisposition?.Disposition, FileName(entity), entity.ContentId);
    }

    /// <summary>The rule itself, on the fields both trees have.</summary>
    /// <param name="mediaType">The media type before the slash, e.g. <c>image</c>.</param>
    /// <param name="disposition">The Content-Disposition value, e.g. <c>attachment</c>; null when absent.</param>
    /// <param name="fileName">The decoded file name; null when absent.</param>
    /// <param name="contentId">The Content-ID; null when absent.</param>
    public static bool IsAttachment(string? mediaType, string? disposition, string? fileName, string? contentId)
    {
        if (string.Equals(mediaType, "message", StringComparison.OrdinalIgnoreCase)
            || string.Equals(mediaType, "multipart", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return string.Equals(disposition?.Trim(), ContentDisposition.Attachment, StringComparison.OrdinalIgnoreCase)
            || !string.IsNullOrWhiteSpace(fileName)
            || (!string.IsNullOrWhiteSpace(contentId) && !string.Equals(mediaType, "text", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The decoded file name of a part: Content-Disposition's <c>filename</c>, else Content-Type's <c>name</c>.</summary>
    public static string? FileName(MimeEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var name = entity is MimePart part ? part.FileName : entity.ContentDisposition?.FileName ?? entity.ContentType.Name;
        return string.IsNullOrWhiteSpace(name) ? null : name.Trim();
    }
}

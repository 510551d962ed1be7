using MailKit;

namespace Gateway.Core.Messages;

/// <summary>
/// One definition of "attachment", used by listings (<c>hasAttachments</c>, from BODYSTRUCTURE) and by the message
/// resource (<c>attachments</c>, from the parsed MIME tree), so the two always agree.
/// </summary>
public static class AttachmentRules
{
    /// <summary>True when the body structure holds at least one attachment.</summary>
    public static bool HasAttachments(BodyPart? body) => body is not null && CountAttachments(body) > 0;

    /// <summary>Counts the attachments in a body structure.</summary>
    public static int CountAttachments(BodyPart body)
    {
        var count = 0;
        Walk(body, isRoot: true, ref count);
        return count;
    }

    private static void Walk(BodyPart part, bool isRoot, ref int count)
    {
        switch (part)
        {
            case BodyPartMultipart multipart:
                foreach (var child in multipart.BodyParts)
                {
                    Walk(child, isRoot: false, ref count);
                }

                break;
            case BodyPartBasic basic when !isRoot && IsAttachment(basic):
                count++;
                break;
        }
    }

    /// <summary>A leaf part is an attachment when it says so, or when it has a file name and is not body text.</summary>
    public static bool IsAttachment(BodyPartBasic part)
    {
        if (part.ContentDisposition?.IsAttachment == true)
        {
            return true;
        }

        var hasName = !string.IsNullOrEmpty(part.FileName);
        var isText = part.ContentType.IsMimeType("text", "plain") || part.ContentType.IsMimeType("text", "html");
        return hasName && !isText;
    }
}

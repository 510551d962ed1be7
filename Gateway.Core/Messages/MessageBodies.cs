using System.Net;
using System.Text;
using MimeKit;

namespace Gateway.Core.Messages;

/// <summary>The parts a reader shows as the message's text: which are body text, and their decoded content.</summary>
/// <remarks>
/// Parts are chosen with the algorithm of JMAP (RFC 8621, section 4.1.4): in <c>multipart/alternative</c> the plain and
/// HTML versions go to their own lists; elsewhere, inline text parts (and inline images between them, as Apple Mail
/// writes) belong to both, in order; an attachment (by Content-Disposition or a file name outside the first position)
/// and an attached message are not body text. <see cref="Text"/> joins the <c>text/plain</c> parts of the plain list;
/// the HTML list is used when it holds at least one <c>text/html</c> part.
/// </remarks>
internal sealed class MessageBodies
{
    private MessageBodies(List<MimeEntity> text, List<MimeEntity> html)
    {
        TextParts = text;
        HtmlParts = html;
    }

    /// <summary>The parts of the plain rendering, in order.</summary>
    public IReadOnlyList<MimeEntity> TextParts { get; }

    /// <summary>The parts of the HTML rendering, in order.</summary>
    public IReadOnlyList<MimeEntity> HtmlParts { get; }

    /// <summary>The decoded text of the <c>text/plain</c> body parts; null when the message has none.</summary>
    public string? Text
    {
        get
        {
            var texts = TextParts.Where(p => p.ContentType.IsMimeType("text", "plain")).Select(p => TextOf((TextPart)p)).ToList();
            return texts.Count == 0 ? null : string.Join("\n", texts);
        }
    }

    /// <summary>True when there is HTML to show.</summary>
    public bool HasHtml => HtmlParts.Any(p => p.ContentType.IsMimeType("text", "html"));

    public static MessageBodies Select(MimeMessage message)
    {
        var text = new List<MimeEntity>();
        var html = new List<MimeEntity>();
        if (message.Body is { } body)
        {
            Parse([body], "mixed", inAlternative: false, html, text);
        }

        return new MessageBodies(text, html);
    }

    /// <summary>The HTML rendering, unsanitized: HTML parts as they are, plain parts escaped, inline images as
    /// <c>img</c> elements whose <c>src</c> is <paramref name="imageSource"/>'s answer for the part.</summary>
    public string? RawHtml(Func<MimeEntity, string?> imageSource)
    {
        if (!HasHtml)
        {
            return null;
        }

        var html = new StringBuilder();
        foreach (var part in HtmlParts)
        {
            if (part is TextPart text && part.ContentType.IsMimeType("text", "html"))
            {
                html.Append(TextOf(text));
            }
            else if (part is TextPart plain)
            {
                html.Append("<div style=\"white-space: pre-wrap\">").Append(WebUtility.HtmlEncode(TextOf(plain))).Append("</div>");
            }
            else if (part.ContentType.MediaType.Equals("image", StringComparison.OrdinalIgnoreCase) && imageSource(part) is { } src)
            {
                html.Append("<img src=\"").Append(WebUtility.HtmlEncode(src)).Append("\">");
            }
        }

        return html.ToString();
    }

    /// <summary>The decoded text of a part, whatever its declared charset (unknown charsets: UTF-8, else Latin-1).</summary>
    public static string TextOf(TextPart part)
    {
        try
        {
            return part.Text ?? string.Empty;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or DecoderFallbackException)
        {
            using var decoded = new MemoryStream();
            part.Content?.DecodeTo(decoded);
            return Encoding.Latin1.GetString(decoded.GetBuffer(), 0, (int)decoded.Length);
        }
    }

    private static bool IsInlineMedia(ContentType type) =>
        type.MediaType.Equals("image", StringComparison.OrdinalIgnoreCase)
        || type.MediaType.Equals("audio", StringComparison.OrdinalIgnoreCase)
        || type.MediaType.Equals("video", StringComparison.OrdinalIgnoreCase);

    private static bool IsBodyText(MimeEntity part) =>
        part is TextPart && (part.ContentType.IsMimeType("text", "plain") || part.ContentType.IsMimeType("text", "html"));

    // RFC 8621 4.1.4 parseStructure; the attachments list is not needed here (AttachmentRules decides those).
    private static void Parse(IReadOnlyList<MimeEntity> parts, string multipartType, bool inAlternative, List<MimeEntity>? htmlBody, List<MimeEntity>? textBody)
    {
        var textLength = textBody?.Count ?? -1;
        var htmlLength = htmlBody?.Count ?? -1;
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            var type = part.ContentType;
            var isInlineMedia = IsInlineMedia(type) && part is MimePart;
            var isAttachmentDisposition = string.Equals(part.ContentDisposition?.Disposition, ContentDisposition.Attachment, StringComparison.OrdinalIgnoreCase);
            var isInline = !isAttachmentDisposition
                && (IsBodyText(part) || isInlineMedia)
                && (i == 0 || (!multipartType.Equals("related", StringComparison.OrdinalIgnoreCase)
                    && (isInlineMedia || AttachmentRules.FileName(part) is null)));

            if (part is Multipart multipart)
            {
                var subtype = multipart.ContentType.MediaSubtype.ToLowerInvariant();
                Parse([.. multipart], subtype, inAlternative || subtype == "alternative", htmlBody, textBody);
            }
            else if (isInline)
            {
                if (multipartType.Equals("alternative", StringComparison.OrdinalIgnoreCase))
                {
                    if (type.IsMimeType("text", "plain"))
                    {
                        textBody?.Add(part);
                    }
                    else if (type.IsMimeType("text", "html"))
                    {
                        htmlBody?.Add(part);
                    }

                    continue;
                }

                if (inAlternative)
                {
                    if (type.IsMimeType("text", "plain"))
                    {
                        htmlBody = null;
                    }

                    if (type.IsMimeType("text", "html"))
                    {
                        textBody = null;
                    }
                }

                textBody?.Add(part);
                htmlBody?.Add(part);
            }
        }

        if (multipartType.Equals("alternative", StringComparison.OrdinalIgnoreCase) && textBody is not null && htmlBody is not null)
        {
            // An alternative with only one flavour: the other list shows the same parts.
            if (textLength == textBody.Count && htmlLength != htmlBody.Count)
            {
                textBody.AddRange(htmlBody.Skip(htmlLength));
            }

            if (htmlLength == htmlBody.Count && textLength != textBody.Count)
            {
                htmlBody.AddRange(textBody.Skip(textLength));
            }
        }
    }
}

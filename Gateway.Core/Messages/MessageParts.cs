using MailKit;
using MimeKit;

namespace Gateway.Core.Messages;

/// <summary>One leaf part of a message and its IMAP part number.</summary>
/// <typeparam name="T">MailKit's <see cref="BodyPartBasic"/> (from BODYSTRUCTURE) or MimeKit's <see cref="MimeEntity"/>
/// (from the parsed message).</typeparam>
/// <param name="Specifier">The IMAP part number, e.g. <c>1</c>, <c>2.1.3</c>.</param>
/// <param name="Part">The part.</param>
public readonly record struct MessageLeaf<T>(string Specifier, T Part);

/// <summary>
/// IMAP part numbers (RFC 3501 and RFC 9051, section 6.4.5) of a message's leaf parts, computed by the same rules on
/// MailKit's BODYSTRUCTURE and on MimeKit's parsed tree, so an attachment id made from the parsed message names the same
/// part in a <c>BODY.PEEK[part]</c> fetch.
/// </summary>
/// <remarks>
/// <para>The rules: the children of a multipart at number <c>N</c> are <c>N.1</c>, <c>N.2</c>, ... (at the top level
/// <c>1</c>, <c>2</c>, ...); a message that is not multipart has exactly one part, <c>1</c>; an encapsulated
/// <c>message/rfc822</c> at <c>N</c> has the parts of its own body below <c>N</c> (its body is <c>N.1</c> when that body
/// is not multipart). MailKit's <see cref="BodyPart.PartSpecifier"/> differs from this for single-part bodies (it gives
/// the root an empty specifier and an encapsulated single part its parent's), so it is not used.</para>
/// <para>Only <c>message/rfc822</c> is walked into: that is what IMAP servers (Dovecot) describe in BODYSTRUCTURE. MimeKit
/// also parses <c>message/global</c>, <c>message/news</c> and <c>message/external-body</c> as messages; here they are
/// leaves, as the server sees them.</para>
/// </remarks>
public static class MessageParts
{
    /// <summary>The leaves of a BODYSTRUCTURE, in order: every part that is neither multipart nor an encapsulated message.</summary>
    public static IEnumerable<MessageLeaf<BodyPartBasic>> Leaves(BodyPart? body)
    {
        var result = new List<MessageLeaf<BodyPartBasic>>();
        if (body is not null)
        {
            Walk(body, body is BodyPartMultipart ? string.Empty : "1", result);
        }

        return result;
    }

    /// <summary>The leaves of a parsed message, in order: every part that is neither multipart nor an encapsulated
    /// <c>message/rfc822</c>.</summary>
    public static IEnumerable<MessageLeaf<MimeEntity>> Leaves(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new List<MessageLeaf<MimeEntity>>();
        if (message.Body is { } body)
        {
            Walk(body, body is Multipart ? string.Empty : "1", result);
        }

        return result;
    }

    /// <summary>The leaf with number <paramref name="specifier"/>, or null when the message has no such leaf.</summary>
    public static BodyPartBasic? Find(BodyPart? body, string specifier)
    {
        foreach (var leaf in Leaves(body))
        {
            if (string.Equals(leaf.Specifier, specifier, StringComparison.Ordinal))
            {
                return leaf.Part;
            }
        }

        return null;
    }

    /// <summary>True when MimeKit's <paramref name="entity"/> is a message whose parts IMAP numbers below it.</summary>
    public static bool IsEncapsulated(MimeEntity entity) =>
        entity is MessagePart and not TextRfc822Headers && entity.ContentType.IsMimeType("message", "rfc822");

    private static string Child(string specifier, int index) =>
        specifier.Length == 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : specifier + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Walk(BodyPart part, string specifier, List<MessageLeaf<BodyPartBasic>> result)
    {
        switch (part)
        {
            case BodyPartMultipart multipart:
                for (var i = 0; i < multipart.BodyParts.Count; i++)
                {
                    Walk(multipart.BodyParts[i], Child(specifier, i + 1), result);
                }

                break;
            case BodyPartMessage message when message.Body is { } inner:
                Walk(inner, inner is BodyPartMultipart ? specifier : specifier + ".1", result);
                break;
            case BodyPartMessage:
                break;
            case BodyPartBasic basic:
                result.Add(new MessageLeaf<BodyPartBasic>(specifier, basic));
                break;
        }
    }

    private static void Walk(MimeEntity entity, string specifier, List<MessageLeaf<MimeEntity>> result)
    {
        switch (entity)
        {
            case Multipart multipart:
                for (var i = 0; i < multipart.Count; i++)
                {
                    Walk(multipart[i], Child(specifier, i + 1), result);
                }

                break;
            case MessagePart message when IsEncapsulated(message):
                if (message.Message?.Body is { } inner)
                {
                    Walk(inner, inner is Multipart ? specifier : specifier + ".1", result);
                }

                break;
            default:
                result.Add(new MessageLeaf<MimeEntity>(specifier, entity));
                break;
        }
    }
}

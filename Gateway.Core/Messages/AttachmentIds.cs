using System.Diagnostics.CodeAnalysis;

namespace Gateway.Core.Messages;

/// <summary>
/// Attachment ids: the IMAP part number of the attachment (see <see cref="MessageParts"/>) spelled URL-safe, e.g. part
/// <c>2.1.3</c> is <c>p2-1-3</c>. Stable for the message (a message's MIME structure never changes), meaningful only
/// together with its message id; clients treat them as opaque.
/// </summary>
public static class AttachmentIds
{
    /// <summary>Longest id accepted (the API's limit for ids).</summary>
    public const int MaxLength = 64;

    /// <summary>The id of the part numbered <paramref name="specifier"/>.</summary>
    public static string For(string specifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(specifier);
        return "p" + specifier.Replace('.', '-');
    }

    /// <summary>Decodes an id into a part number; false when it is not one this gateway could have made (answer 400).</summary>
    public static bool TryParse(string? id, [NotNullWhen(true)] out string? specifier)
    {
        specifier = null;
        if (id is not { Length: >= 2 and <= MaxLength } || id[0] != 'p')
        {
            return false;
        }

        // Numbers of 1 to 5 digits without leading zeros, separated by '-'.
        var segment = 0;
        for (var i = 1; i < id.Length; i++)
        {
            var c = id[i];
            if (c == '-')
            {
                if (segment == 0)
                {
                    return false;
                }

                segment = 0;
            }
            else if (char.IsAsciiDigit(c) && !(segment == 0 && c == '0') && segment < 5)
            {
                segment++;
            }
            else
            {
                return false;
            }
        }

        if (segment == 0)
        {
            return false;
        }

        specifier = id[1..].Replace('-', '.');
        return true;
    }
}

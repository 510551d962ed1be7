namespace Gateway.Core.Messages;

/// <summary>
/// A fast path for the usual Message-ID and In-Reply-To value, one <c>&lt;local@domain&gt;</c> of plain atoms: the
/// id without its brackets, exactly what MimeKit's reference parser answers for it (checked against it on the whole
/// corpus by the tests). Anything else (quoted local parts, domain literals, comments, several ids, folding) declines,
/// and the caller asks MimeKit. The fill maps 100k of these; MimeKit's general parser cost ~5 µs each.
/// </summary>
public static class SimpleMessageId
{
    public static bool TryParse(string value, out string id)
    {
        id = string.Empty;
        var span = value.AsSpan().Trim(" \t\r\n");
        if (span.Length < 5 || span[0] != '<' || span[^1] != '>')
        {
            return false;
        }

        span = span[1..^1];
        var at = span.IndexOf('@');
        if (at <= 0 || at == span.Length - 1 || span[(at + 1)..].Contains('@'))
        {
            return false;
        }

        if (!IsDotAtom(span[..at], local: true) || !IsDotAtom(span[(at + 1)..], local: false))
        {
            return false;
        }

        id = span.ToString();
        return true;
    }

    private static bool IsDotAtom(ReadOnlySpan<char> part, bool local)
    {
        if (part[0] == '.' || part[^1] == '.')
        {
            return false;
        }

        var previousDot = false;
        foreach (var c in part)
        {
            if (c == '.')
            {
                if (previousDot)
                {
                    return false;
                }

                previousDot = true;
                continue;
            }

            previousDot = false;
            if (char.IsAsciiLetterOrDigit(c) || c == '-' || (local && "!#$%&'*+/=?^_`{|}~".Contains(c)))
            {
                continue;
            }

            return false;
        }

        return true;
    }
}

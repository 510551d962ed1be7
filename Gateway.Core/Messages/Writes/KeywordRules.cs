using Gateway.Core.Errors;

namespace Gateway.Core.Messages.Writes;

/// <summary>
/// Which keywords (IMAP user flags) a client may set. A keyword is sent to the server as an IMAP atom, never quoted or
/// as a literal, so everything that is not a plain atom character is refused here, before any command is sent.
/// </summary>
/// <remarks>Allowed: 1 to <see cref="MaxLength"/> printable ASCII characters (0x21-0x7E) except the IMAP atom-specials
/// and brackets <c>( ) { } [ ] % * " \</c>. So no spaces, controls, CR/LF, NUL, quotes, literals (<c>{</c>) or system
/// flags (<c>\Seen</c>); <c>$Forwarded</c>, <c>$Junk</c> and <c>project-x</c> are fine.</remarks>
public static class KeywordRules
{
    /// <summary>Longest keyword accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>Most keywords in one list of a request.</summary>
    public const int MaxCount = 32;

    private const string Forbidden = "(){}[]%*\"\\";

    /// <summary>True when <paramref name="keyword"/> may be sent as a flag keyword.</summary>
    public static bool IsValid(string? keyword)
    {
        if (keyword is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }

        foreach (var c in keyword)
        {
            if (c is < '!' or > '~' || Forbidden.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks a list from a request; null stands for an empty list.</summary>
    /// <exception cref="RequestValidationException">A keyword is not valid, or the list is too long.</exception>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string?>? keywords, string field)
    {
        if (keywords is null || keywords.Count == 0)
        {
            return [];
        }

        if (keywords.Count > MaxCount)
        {
            throw RequestValidationException.For(field, $"At most {MaxCount} keywords per request.");
        }

        var result = new List<string>(keywords.Count);
        for (var i = 0; i < keywords.Count; i++)
        {
            var keyword = keywords[i];
            if (!IsValid(keyword))
            {
                throw RequestValidationException.For(
                    $"{field}[{i}]",
                    $"A keyword is 1 to {MaxLength} printable ASCII characters without spaces or any of ( ) {{ }} [ ] % * \" \\ (system flags have their own fields).");
            }

            if (!result.Contains(keyword!, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(keyword!);
            }
        }

        return result;
    }
}

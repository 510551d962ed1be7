using System.Text;
using Gateway.Core.Errors;

namespace Gateway.Core.Mailboxes;

/// <summary>Validation of mailbox names supplied by callers, before anything reaches the IMAP server.</summary>
public static class MailboxNames
{
    /// <summary>Longest name segment accepted, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest full path accepted, in UTF-8 bytes.</summary>
    public const int MaxPathBytes = 1000;

    /// <summary>Throws <see cref="RequestValidationException"/> when <paramref name="name"/> cannot be a mailbox name segment.</summary>
    public static void Validate(string? name, string? delimiter, string field = "name")
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw RequestValidationException.For(field, "The name must not be empty or only white space.");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw RequestValidationException.For(field, $"The name must be at most {MaxNameBytes} bytes of UTF-8.");
        }

        if (!IsWellFormedUtf16(name))
        {
            throw RequestValidationException.For(field, "The name is not valid Unicode (lone surrogate).");
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Value is 0x2028 or 0x2029 or 0xFFFE or 0xFFFF)
            {
                throw RequestValidationException.For(field, "The name must not contain control characters (CR, LF, NUL, ...).");
            }

            if (rune.Value is '*' or '%')
            {
                throw RequestValidationException.For(field, "The name must not contain '*' or '%' (IMAP LIST wildcards).");
            }
        }

        if (!string.IsNullOrEmpty(delimiter) && name.Contains(delimiter, StringComparison.Ordinal))
        {
            throw RequestValidationException.For(
                field,
                $"The name must not contain the server's hierarchy delimiter '{delimiter}'; use parentId to nest mailboxes.");
        }
    }

    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }
}

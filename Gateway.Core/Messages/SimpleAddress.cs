namespace Gateway.Core.Messages;

/// <summary>
/// A fast path for the address headers most mail carries: one plain <c>addr@domain</c> or <c>Plain Name &lt;addr@domain&gt;</c>
/// in ASCII, without quotes, comments, encoded words, groups or folding. Anything else is left to MimeKit's full parser
/// (the caller falls back when this answers false). Filling a large mailbox's cache parses four address headers per
/// message, and MimeKit's general parser was the largest cost of the gateway's own work there.
/// </summary>
public static class SimpleAddress
{
    /// <summary>Parses <paramref name="raw"/> (a header's raw value) when it has the simple shape; false otherwise.</summary>
    public static bool TryParse(ReadOnlySpan<byte> raw, out EmailAddress address)
    {
        address = null!;
        raw = Trim(raw);
        if (raw.IsEmpty)
        {
            return false;
        }

        var open = raw.IndexOf((byte)'<');
        if (open < 0)
        {
            if (!IsAddrSpec(raw))
            {
                return false;
            }

            address = new EmailAddress(null, Ascii(raw));
            return true;
        }

        if (raw[^1] != (byte)'>' || raw[(open + 1)..^1].IndexOfAny((byte)'<', (byte)'>') >= 0)
        {
            return false;
        }

        var spec = raw[(open + 1)..^1];
        var name = TrimEnd(raw[..open]);
        if (!IsAddrSpec(spec) || (!name.IsEmpty && !IsPlainName(name)))
        {
            return false;
        }

        address = new EmailAddress(name.IsEmpty ? null : Ascii(name), Ascii(spec));
        return true;
    }

    private static bool IsPlainName(ReadOnlySpan<byte> name)
    {
        if (name[0] == (byte)' ' || name[^1] == (byte)' ')
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                || c is (byte)'-' or (byte)'_' or (byte)'\''
                || (c == (byte)' ' && name[i - 1] != (byte)' ');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAddrSpec(ReadOnlySpan<byte> spec)
    {
        var at = spec.IndexOf((byte)'@');
        if (at <= 0 || at != spec.LastIndexOf((byte)'@') || at == spec.Length - 1)
        {
            return false;
        }

        return IsDotAtom(spec[..at], local: true) && IsDotAtom(spec[(at + 1)..], local: false);
    }

    private static bool IsDotAtom(ReadOnlySpan<byte> part, bool local)
    {
        if (part[0] == (byte)'.' || part[^1] == (byte)'.')
        {
            return false;
        }

        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            if (c == (byte)'.')
            {
                if (part[i - 1] == (byte)'.')
                {
                    return false;
                }

                continue;
            }

            var ok = c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-'
                || (local && c is (byte)'_' or (byte)'+');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        var start = 0;
        while (start < s.Length && s[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        return TrimEnd(s[start..]);
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> s)
    {
        var end = s.Length;
        while (end > 0 && s[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        return s[..end];
    }

    private static string Ascii(ReadOnlySpan<byte> s) => System.Text.Encoding.ASCII.GetString(s);
}

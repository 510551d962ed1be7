using System.Globalization;

namespace Gateway.Core.Messages.Writes;

/// <summary>
/// Entity tags of single messages: <c>"&lt;uidvalidity&gt;-&lt;uid&gt;-&lt;modseq&gt;"</c> (strong). The MODSEQ
/// (CONDSTORE) moves with every change of the message's flags, so the tag names one version of the message; a write with
/// <c>If-Match</c> is made conditional on it with <c>UNCHANGEDSINCE</c>. Without CONDSTORE a message has no tag.
/// </summary>
public static class MessageETags
{
    /// <summary>The quoted tag of a message version; null without a MODSEQ.</summary>
    public static string? For(uint uidValidity, uint uid, ulong modSeq) =>
        modSeq == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"\"{uidValidity}-{uid}-{modSeq}\"");

    /// <summary>Reads one entity tag as sent in <c>If-Match</c> (quoted, strong); false for anything else.</summary>
    public static bool TryParse(string? tag, out uint uidValidity, out uint uid, out ulong modSeq)
    {
        uidValidity = 0;
        uid = 0;
        modSeq = 0;
        if (tag is not { Length: >= 7 and <= 64 } || tag[0] != '"' || tag[^1] != '"')
        {
            return false;
        }

        var parts = tag[1..^1].Split('-');
        return parts.Length == 3
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uidValidity)
            && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uid)
            && ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out modSeq)
            && modSeq > 0;
    }
}

/// <summary>The condition of a write, from <c>If-Match</c>: none, <c>*</c> (the message must exist, which every write
/// checks anyway), or a list of entity tags of which one must name the message's current version.</summary>
public sealed class WritePrecondition
{
    private WritePrecondition(IReadOnlyList<string>? tags) => Tags = tags;

    /// <summary>No condition.</summary>
    public static WritePrecondition None { get; } = new(null);

    /// <summary>The entity tags, or null when there is no condition.</summary>
    public IReadOnlyList<string>? Tags { get; }

    /// <summary>From the values of <c>If-Match</c> headers (comma-separated lists).</summary>
    public static WritePrecondition FromIfMatch(IEnumerable<string?> headerValues)
    {
        var tags = new List<string>();
        foreach (var value in headerValues)
        {
            foreach (var tag in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*")
                {
                    return None;
                }

                tags.Add(tag);
            }
        }

        return tags.Count == 0 ? None : new WritePrecondition(tags);
    }

    /// <summary>The MODSEQs of the tags that name <paramref name="uidValidity"/>/<paramref name="uid"/> (weak tags never
    /// match: If-Match compares strongly).</summary>
    internal HashSet<ulong> ModSeqsFor(uint uidValidity, uint uid)
    {
        var result = new HashSet<ulong>();
        foreach (var tag in Tags ?? [])
        {
            if (MessageETags.TryParse(tag, out var v, out var u, out var m) && v == uidValidity && u == uid)
            {
                result.Add(m);
            }
        }

        return result;
    }
}

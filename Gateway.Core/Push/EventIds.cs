namespace Gateway.Core.Push;

/// <summary>Event ids have the shape of Redis stream ids, <c>milliseconds-sequence</c>, and are compared as such.</summary>
public static class EventIds
{
    public static bool TryParse(string? id, out (ulong Time, ulong Sequence) value)
    {
        value = default;
        if (id is null || id.Length > 41)
        {
            return false;
        }

        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && ulong.TryParse(id.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value.Time)
            && ulong.TryParse(id.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value.Sequence);
    }

    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/> (both well-formed).</summary>
    public static bool IsAfter(string a, string b) =>
        TryParse(a, out var x) && TryParse(b, out var y) && (x.Time > y.Time || (x.Time == y.Time && x.Sequence > y.Sequence));
}

using Gateway.Core.Errors;
using MailKit;

namespace Gateway.Core.Messages.Writes;

/// <summary>A change of a message's flags: each null member is left as it is.</summary>
/// <param name="Seen">Set or clear <c>\Seen</c>.</param>
/// <param name="Flagged">Set or clear <c>\Flagged</c>.</param>
/// <param name="Answered">Set or clear <c>\Answered</c>.</param>
/// <param name="Draft">Set or clear <c>\Draft</c>.</param>
/// <param name="AddKeywords">Keywords to add (validated by <see cref="KeywordRules"/>).</param>
/// <param name="RemoveKeywords">Keywords to remove.</param>
public sealed record FlagChange(
    bool? Seen,
    bool? Flagged,
    bool? Answered,
    bool? Draft,
    IReadOnlyList<string> AddKeywords,
    IReadOnlyList<string> RemoveKeywords)
{
    /// <summary>No change at all.</summary>
    public static FlagChange None { get; } = new(null, null, null, null, [], []);

    /// <summary>A change from request values, validated.</summary>
    /// <exception cref="RequestValidationException">A keyword is not valid, or one is both added and removed.</exception>
    public static FlagChange Create(
        bool? seen, bool? flagged, bool? answered, bool? draft, IReadOnlyList<string?>? addKeywords, IReadOnlyList<string?>? removeKeywords)
    {
        var add = KeywordRules.Validate(addKeywords, "addKeywords");
        var remove = KeywordRules.Validate(removeKeywords, "removeKeywords");
        if (add.FirstOrDefault(k => remove.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } both)
        {
            throw RequestValidationException.For("removeKeywords", $"'{both}' is both added and removed.");
        }

        return new FlagChange(seen, flagged, answered, draft, add, remove);
    }

    /// <summary>True when nothing would change.</summary>
    public bool IsEmpty => Seen is null && Flagged is null && Answered is null && Draft is null && AddKeywords.Count == 0 && RemoveKeywords.Count == 0;

    /// <summary>System flags to set.</summary>
    internal MailKit.MessageFlags FlagsToAdd => Pick(true);

    /// <summary>System flags to clear.</summary>
    internal MailKit.MessageFlags FlagsToRemove => Pick(false);

    internal bool HasAdds => FlagsToAdd != MailKit.MessageFlags.None || AddKeywords.Count > 0;

    internal bool HasRemoves => FlagsToRemove != MailKit.MessageFlags.None || RemoveKeywords.Count > 0;

    /// <summary>The whole flag set after the change, from the current one (for a conditional <c>STORE FLAGS</c>).</summary>
    internal (MailKit.MessageFlags Flags, HashSet<string> Keywords) ApplyTo(MailKit.MessageFlags current, IEnumerable<string> keywords)
    {
        const MailKit.MessageFlags Storable = MailKit.MessageFlags.Seen | MailKit.MessageFlags.Answered | MailKit.MessageFlags.Flagged | MailKit.MessageFlags.Deleted | MailKit.MessageFlags.Draft;
        var flags = ((current & Storable) | FlagsToAdd) & ~FlagsToRemove;
        var result = new HashSet<string>(keywords, StringComparer.OrdinalIgnoreCase);
        result.UnionWith(AddKeywords);
        result.ExceptWith(RemoveKeywords);
        return (flags, result);
    }

    private MailKit.MessageFlags Pick(bool value)
    {
        var flags = MailKit.MessageFlags.None;
        if (Seen == value)
        {
            flags |= MailKit.MessageFlags.Seen;
        }

        if (Flagged == value)
        {
            flags |= MailKit.MessageFlags.Flagged;
        }

        if (Answered == value)
        {
            flags |= MailKit.MessageFlags.Answered;
        }

        if (Draft == value)
        {
            flags |= MailKit.MessageFlags.Draft;
        }

        return flags;
    }
}

namespace Gateway.Core.Messages;

/// <summary>One address of a header field; groups are flattened into their members.</summary>
/// <param name="Name">Display name, decoded; null when absent.</param>
/// <param name="Address">The addr-spec, e.g. <c>alice@example.test</c>; empty when the header held none.</param>
public sealed record EmailAddress(string? Name, string Address);

/// <summary>The system flags a listing shows.</summary>
[Flags]
public enum MessageFlags : byte
{
    None = 0,
    Seen = 1,
    Flagged = 2,
    Answered = 4,
    Draft = 8,
    Deleted = 16,
}

/// <summary>What a listing shows of one message: envelope, flags, size, a preview. Everything here comes from one
/// <c>UID FETCH</c> of <see cref="SummaryFetch"/>'s items and is what the header cache stores.</summary>
/// <param name="Uid">The message's UID in its mailbox.</param>
/// <param name="ModSeq">The message's MODSEQ (0 without CONDSTORE).</param>
/// <param name="Flags">System flags.</param>
/// <param name="Keywords">Non-system flags (keywords), as the server spells them.</param>
/// <param name="ReceivedAt">INTERNALDATE: when the server received it.</param>
/// <param name="Date">The Date header; null when absent or unparsable.</param>
/// <param name="Size">RFC822.SIZE in bytes.</param>
/// <param name="HasAttachments">True when the body structure has at least one attachment.</param>
/// <param name="Subject">Decoded subject; null when absent.</param>
/// <param name="MessageId">Message-ID without angle brackets; null when absent.</param>
/// <param name="InReplyTo">In-Reply-To message id without angle brackets; null when absent.</param>
/// <param name="Preview">Start of the body text (server PREVIEW), at most <see cref="SummaryFetch.PreviewLength"/> characters.</param>
public sealed record MessageSummary(
    uint Uid,
    ulong ModSeq,
    MessageFlags Flags,
    IReadOnlyList<string> Keywords,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? Date,
    long Size,
    bool HasAttachments,
    string? Subject,
    IReadOnlyList<EmailAddress> From,
    IReadOnlyList<EmailAddress> To,
    IReadOnlyList<EmailAddress> Cc,
    IReadOnlyList<EmailAddress> ReplyTo,
    string? MessageId,
    string? InReplyTo,
    string? Preview)
{
    public bool Seen => Flags.HasFlag(MessageFlags.Seen);

    public bool Flagged => Flags.HasFlag(MessageFlags.Flagged);

    public bool Answered => Flags.HasFlag(MessageFlags.Answered);

    public bool Draft => Flags.HasFlag(MessageFlags.Draft);

    /// <summary>The date listings sort by with <c>sort=date</c>: the Date header, else INTERNALDATE (as IMAP SORT DATE).</summary>
    public DateTimeOffset SortDate => Date ?? ReceivedAt;
}

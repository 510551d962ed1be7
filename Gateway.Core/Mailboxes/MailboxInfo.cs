namespace Gateway.Core.Mailboxes;

/// <summary>A special use of a mailbox (RFC 6154), or the INBOX.</summary>
public enum MailboxRole
{
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
    All,
    Flagged,
}

/// <summary>One mailbox as the gateway describes it.</summary>
/// <param name="Id">Opaque id, stable across restarts and instances.</param>
/// <param name="Name">The last segment of the path.</param>
/// <param name="Path">The full Unicode name (never modified UTF-7).</param>
/// <param name="ParentId">Id of the parent mailbox, null at the top level.</param>
/// <param name="Delimiter">The hierarchy delimiter, null when the server has no hierarchy.</param>
/// <param name="Role">Special use, if any.</param>
/// <param name="Subscribed">Whether the mailbox is subscribed.</param>
/// <param name="Attributes">LIST attributes without the backslash, e.g. <c>HasChildren</c>, <c>Noselect</c>.</param>
/// <param name="Total">Number of messages.</param>
/// <param name="Unread">Number of messages without <c>\Seen</c>.</param>
/// <param name="UidValidity">The mailbox's UIDVALIDITY (0 when it cannot be selected).</param>
public sealed record MailboxInfo(
    string Id,
    string Name,
    string Path,
    string? ParentId,
    string? Delimiter,
    MailboxRole? Role,
    bool Subscribed,
    IReadOnlyList<string> Attributes,
    long Total,
    long Unread,
    long UidValidity)
{
    public bool IsInbox => Role == MailboxRole.Inbox;

    public bool HasChildren { get; init; }
}

/// <summary>A change to a mailbox: each null member is left as it is.</summary>
/// <param name="Name">New last segment.</param>
/// <param name="ParentId">New parent; <see cref="MoveToTopLevel"/> moves it to the top level.</param>
/// <param name="MoveToTopLevel">True when the request set <c>parentId</c> to null explicitly.</param>
/// <param name="Subscribed">Subscribe or unsubscribe.</param>
public sealed record MailboxUpdate(string? Name, string? ParentId, bool MoveToTopLevel, bool? Subscribed);

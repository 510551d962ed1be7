using System.Text.Json.Serialization;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;

namespace Gateway.Api.Mailboxes;

/// <summary>A mailbox.</summary>
/// <param name="Id">Opaque id; stable across restarts and gateway instances.</param>
/// <param name="Name">The last segment of the path.</param>
/// <param name="Path">The full Unicode name (never modified UTF-7).</param>
/// <param name="ParentId">Id of the parent mailbox; null at the top level.</param>
/// <param name="Delimiter">The hierarchy delimiter of the server; null when it has none.</param>
/// <param name="Role">Special use, or null.</param>
/// <param name="Subscribed">Whether the mailbox is subscribed.</param>
/// <param name="Attributes">IMAP LIST attributes without the backslash, e.g. <c>HasChildren</c>, <c>Noselect</c>.</param>
/// <param name="Total">Number of messages.</param>
/// <param name="Unread">Number of messages not seen.</param>
/// <param name="UidValidity">The IMAP UIDVALIDITY; when it changes, every message id of the mailbox changes.</param>
/// <param name="Cache">How far the gateway's header cache of this mailbox is filled; omitted when unknown.</param>
public sealed record MailboxResponse(
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
    long UidValidity,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MailboxCacheResponse? Cache = null)
{
    public static MailboxResponse From(MailboxInfo m, MailboxCacheProgress? cache = null) =>
        new(m.Id, m.Name, m.Path, m.ParentId, m.Delimiter, m.Role, m.Subscribed, m.Attributes, m.Total, m.Unread, m.UidValidity,
            cache is null ? null : new MailboxCacheResponse(cache.Status, cache.CachedMessages));
}

/// <summary>Progress of the gateway's header cache for a mailbox: listings of a mailbox being filled answer from IMAP
/// what the cache does not hold yet, so they work at once, and get faster when the fill completes.</summary>
/// <param name="Status"><c>none</c>, <c>filling</c> or <c>complete</c>.</param>
/// <param name="CachedMessages">Message summaries cached so far.</param>
public sealed record MailboxCacheResponse(CacheFillStatus Status, long CachedMessages);

/// <summary>All mailboxes of the account.</summary>
/// <param name="Items">The mailboxes, INBOX first, then by path.</param>
/// <param name="State">The state of this list: pass it to <c>GET .../mailboxes/changes?since=</c> later to learn what
/// changed (kept 30 days after last use).</param>
public sealed record MailboxListResponse(IReadOnlyList<MailboxResponse> Items, string State);

/// <summary>What changed in the mailbox list since a state (the shape of JMAP <c>Mailbox/changes</c>).</summary>
/// <param name="OldState">The <c>since</c> asked about.</param>
/// <param name="NewState">The current state: pass it as <c>since</c> next time.</param>
/// <param name="HasMoreChanges">Always false: the whole difference is in one answer.</param>
/// <param name="Created">Ids of new mailboxes (a renamed mailbox has a new id: its new name is here).</param>
/// <param name="Updated">Ids of mailboxes whose counts, subscription, role or attributes changed.</param>
/// <param name="Destroyed">Ids of mailboxes that are gone (a renamed mailbox's old id is here).</param>
/// <param name="UpdatedProperties">When only counts changed (<c>total</c>, <c>unread</c>), their names; null
/// otherwise.</param>
/// <param name="Renamed">Pairs of destroyed and created ids that are the same mailbox under a new name or parent.</param>
public sealed record MailboxListChangesResponse(
    string OldState,
    string NewState,
    bool HasMoreChanges,
    IReadOnlyList<string> Created,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Destroyed,
    IReadOnlyList<string>? UpdatedProperties,
    IReadOnlyList<MailboxRenameResponse> Renamed);

/// <summary>A renamed mailbox: its id before and after.</summary>
/// <param name="From">The old id.</param>
/// <param name="To">The new id.</param>
public sealed record MailboxRenameResponse(string From, string To);

/// <summary>Create a mailbox.</summary>
/// <param name="Name">The new mailbox's name (one segment: it must not contain the server's delimiter).</param>
/// <param name="ParentId">Create it inside this mailbox; omit or null for the top level.</param>
public sealed record CreateMailboxRequest(string Name, string? ParentId = null);

/// <summary>Rename, move or (un)subscribe a mailbox; omitted members stay as they are.</summary>
public sealed class UpdateMailboxRequest
{
    private readonly string? _parentId;

    /// <summary>New name (one segment).</summary>
    public string? Name { get; init; }

    /// <summary>New parent mailbox id; <c>null</c> moves the mailbox to the top level.</summary>
    public string? ParentId
    {
        get => _parentId;
        init
        {
            _parentId = value;
            ParentIdSpecified = true;
        }
    }

    /// <summary>Subscribe (true) or unsubscribe (false).</summary>
    public bool? Subscribed { get; init; }

    [JsonIgnore]
    public bool ParentIdSpecified { get; private init; }
}

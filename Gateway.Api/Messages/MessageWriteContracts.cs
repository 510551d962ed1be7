using System.Text.Json.Serialization;

namespace Gateway.Api.Messages;

/// <summary>A change of a message's flags and keywords; a member left out (or null) is left as it is.</summary>
/// <param name="Seen">Set (true) or clear (false) <c>\Seen</c>.</param>
/// <param name="Flagged">Set or clear <c>\Flagged</c>.</param>
/// <param name="Answered">Set or clear <c>\Answered</c>.</param>
/// <param name="Draft">Set or clear <c>\Draft</c>.</param>
/// <param name="AddKeywords">Keywords to add: 1 to 64 printable ASCII characters each, no spaces and none of
/// <c>( ) { } [ ] % * " \</c>; at most 32.</param>
/// <param name="RemoveKeywords">Keywords to remove (same rules).</param>
public sealed record UpdateMessageRequest(
    bool? Seen = null,
    bool? Flagged = null,
    bool? Answered = null,
    bool? Draft = null,
    IReadOnlyList<string>? AddKeywords = null,
    IReadOnlyList<string>? RemoveKeywords = null);

/// <summary>Where to move or copy a message.</summary>
/// <param name="MailboxId">The target mailbox's id, or a role alias (<c>trash</c>, <c>archive</c>, ...).</param>
public sealed record MessageTargetRequest(string MailboxId);

/// <summary>The id of a message a move or copy created.</summary>
/// <param name="Id">The message id in the target mailbox; null only when the IMAP server does not report it (no
/// UIDPLUS).</param>
public sealed record MessageIdResponse(string? Id);

/// <summary>One change applied to many messages.</summary>
/// <param name="Ids">1 to 1,000 message ids (of any mailboxes of the account); a repeated id counts once.</param>
/// <param name="Seen">Set or clear <c>\Seen</c>.</param>
/// <param name="Flagged">Set or clear <c>\Flagged</c>.</param>
/// <param name="AddKeywords">Keywords to add (rules as for a single message).</param>
/// <param name="RemoveKeywords">Keywords to remove.</param>
/// <param name="MoveTo">Mailbox id or role alias to move the messages to, after the flag change.</param>
public sealed record BatchMessagesRequest(
    IReadOnlyList<string> Ids,
    bool? Seen = null,
    bool? Flagged = null,
    IReadOnlyList<string>? AddKeywords = null,
    IReadOnlyList<string>? RemoveKeywords = null,
    string? MoveTo = null);

/// <summary>The outcome of a batch, one result per distinct id, in request order.</summary>
/// <param name="Results">The results.</param>
public sealed record BatchMessagesResponse(IReadOnlyList<BatchItemResponse> Results);

/// <summary>The outcome for one id.</summary>
/// <param name="Id">The id as sent.</param>
/// <param name="Status">An HTTP status: 200 done; 400 malformed id, or already in the target; 404 no such message;
/// 410 id from an older UIDVALIDITY; 5xx the IMAP server failed.</param>
/// <param name="NewId">After a move: the message's id in the target mailbox (when the server reports it).</param>
/// <param name="Problem">Why it failed (RFC 9457 fields and <c>code</c>); omitted on success.</param>
public sealed record BatchItemResponse(
    string Id,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NewId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BatchProblemResponse? Problem = null);

/// <summary>A problem of one batch item, shaped like a problem details body.</summary>
/// <param name="Type">Problem type URI (see API.md).</param>
/// <param name="Title">Short summary of the type.</param>
/// <param name="Status">HTTP status of the problem.</param>
/// <param name="Detail">What happened to this id.</param>
/// <param name="Code">Stable UPPER_SNAKE code.</param>
/// <param name="Retryable">True when retrying later may succeed.</param>
public sealed record BatchProblemResponse(
    string Type,
    string Title,
    int Status,
    string Detail,
    string Code,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Retryable = null);

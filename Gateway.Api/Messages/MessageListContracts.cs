using System.Text.Json.Serialization;

namespace Gateway.Api.Messages;

/// <summary>A page of a mailbox's messages.</summary>
/// <param name="Items">The messages, newest first.</param>
/// <param name="NextPageToken">Pass as <c>pageToken</c> for the next page; omitted on the last page.</param>
/// <param name="State">Opaque mailbox state: it changes whenever a message is added, removed or changes flags.</param>
public sealed record MessageListResponse(
    IReadOnlyList<MessageSummaryResponse> Items,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextPageToken,
    string State);

/// <summary>Listing order.</summary>
public enum MessageSort
{
    /// <summary>Newest arrival first (IMAP UID order).</summary>
    Arrival,

    /// <summary>Newest Date header first (INTERNALDATE where there is none).</summary>
    Date,
}

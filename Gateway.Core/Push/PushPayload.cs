using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Core.Push;

/// <summary>How an event is stored in the log and sent over pub/sub: the change and the id of the event before it, so
/// a replay can tell whether the log still reaches back to the subscriber's last event.</summary>
internal sealed record PushPayload(
    [property: JsonPropertyName("m")] Dictionary<string, string> Mailboxes,
    [property: JsonPropertyName("l")] bool MailboxListChanged,
    [property: JsonPropertyName("p")] string? Previous)
{
    public static byte[] Serialize(PushChange change, string? previous) =>
        JsonSerializer.SerializeToUtf8Bytes(new PushPayload(new Dictionary<string, string>(change.Mailboxes, StringComparer.Ordinal), change.MailboxListChanged, previous));

    public static PushPayload? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<PushPayload>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public PushEvent ToEvent(string id) => new(id, Mailboxes, MailboxListChanged);
}

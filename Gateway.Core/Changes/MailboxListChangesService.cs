using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using Gateway.Core.Storage;

namespace Gateway.Core.Changes;

/// <summary>What changed in an account's mailbox list between two states (JMAP <c>Mailbox/changes</c>, RFC 8620
/// §5.2, plus the renames this gateway can recognise).</summary>
/// <param name="OldState">The state asked about.</param>
/// <param name="NewState">The current state.</param>
/// <param name="Created">Ids of mailboxes that appeared (including the new names of renamed ones: a mailbox id follows
/// its name).</param>
/// <param name="Updated">Ids of mailboxes whose counts, subscription, role or attributes changed.</param>
/// <param name="Destroyed">Ids of mailboxes that are gone (including the old names of renamed ones).</param>
/// <param name="UpdatedProperties">When every update touched only these properties (e.g. <c>total</c>,
/// <c>unread</c>), their names; null when other properties changed too.</param>
/// <param name="Renamed">Destroyed/created pairs that are the same mailbox under a new name (same UIDVALIDITY and
/// message count).</param>
public sealed record MailboxListChanges(
    string OldState,
    string NewState,
    IReadOnlyList<string> Created,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Destroyed,
    IReadOnlyList<string>? UpdatedProperties,
    IReadOnlyList<MailboxRename> Renamed);

/// <summary>A mailbox that was renamed (or moved): its id before and after.</summary>
public sealed record MailboxRename(string From, string To);

/// <summary>
/// States of an account's mailbox list. A state is a hash of the list (ids, counts, subscription, role, attributes,
/// UIDVALIDITY); the list itself is kept in the shared store under that hash for <see cref="Retention"/> (sliding), so
/// any instance can compare an old state with the list now. An expired or unknown state answers 410
/// <c>cannot-calculate-changes</c>: the client lists the mailboxes again.
/// </summary>
public sealed class MailboxListChangesService(MailboxService mailboxes, IKeyValueStore store)
{
    /// <summary>How long a state stays answerable after it was last handed out or asked about.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The state of <paramref name="list"/>, recorded so that changes since it can be asked for later.
    /// When the store is down the state is still returned (asking about it later may then answer 410).</summary>
    public async Task<string> RecordAsync(AccountSession session, IReadOnlyList<MailboxInfo> list, CancellationToken cancellationToken)
    {
        var entries = list.Select(Entry.From).OrderBy(e => e.Id, StringComparer.Ordinal).ToArray();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entries, Json);
        var state = Base64Url.EncodeToString(SHA256.HashData(bytes).AsSpan(0, 16));
        try
        {
            await store.SetAsync(Key(session.AccountId, state), bytes, Retention, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // Best effort: the listing itself does not depend on it.
        }

        return state;
    }

    /// <summary>The changes since <paramref name="since"/>.</summary>
    /// <exception cref="RequestValidationException"><paramref name="since"/> is not a mailbox list state.</exception>
    /// <exception cref="CannotCalculateChangesException">The state is unknown or expired.</exception>
    public async Task<MailboxListChanges> GetChangesAsync(AccountSession session, string since, CancellationToken cancellationToken)
    {
        if (since.Length != 22 || !MailboxIds.IsWellFormed(since))
        {
            throw RequestValidationException.For("since", "Not a mailbox list state: pass the 'state' of the mailbox list or the 'newState' of a previous answer.");
        }

        byte[]? old;
        try
        {
            old = await store.GetAsync(Key(session.AccountId, since), Retention, cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            throw new UpstreamUnavailableException("The shared store is unavailable, so old mailbox list states cannot be read.", TimeSpan.FromSeconds(5), ex);
        }

        if (old is null)
        {
            throw new CannotCalculateChangesException("This mailbox list state is unknown or expired: list the mailboxes again.");
        }

        var before = (JsonSerializer.Deserialize<Entry[]>(old, Json) ?? []).ToDictionary(e => e.Id, StringComparer.Ordinal);
        var list = await mailboxes.ListAsync(session, cancellationToken);
        var newState = await RecordAsync(session, list, cancellationToken);
        var after = list.Select(Entry.From).ToDictionary(e => e.Id, StringComparer.Ordinal);

        var created = after.Keys.Where(id => !before.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var destroyed = before.Keys.Where(id => !after.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var updated = new List<string>();
        var properties = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (id, now) in after.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (before.TryGetValue(id, out var then) && then != now)
            {
                updated.Add(id);
                foreach (var name in then.Differences(now))
                {
                    properties.Add(name);
                }
            }
        }

        // A rename keeps the mailbox's UIDVALIDITY (RFC 3501 6.3.5) and its messages.
        var renamed = new List<MailboxRename>();
        var unmatched = created.Select(id => after[id]).Where(e => e.UidValidity > 0).ToList();
        foreach (var gone in destroyed.Select(id => before[id]).Where(e => e.UidValidity > 0))
        {
            var match = unmatched.FirstOrDefault(e => e.UidValidity == gone.UidValidity && e.Total == gone.Total);
            if (match is not null)
            {
                unmatched.Remove(match);
                renamed.Add(new MailboxRename(gone.Id, match.Id));
            }
        }

        var onlyCounts = properties.All(p => p is "total" or "unread");
        return new MailboxListChanges(since, newState, created, updated, destroyed, updated.Count > 0 && onlyCounts ? properties.ToArray() : null, renamed);
    }

    private static string Key(string accountId, string state) => $"mbstate:{accountId}:{state}";

    /// <summary>What a state remembers of one mailbox (short names: stored once per state).</summary>
    private sealed record Entry(
        [property: JsonPropertyName("i")] string Id,
        [property: JsonPropertyName("p")] string Path,
        [property: JsonPropertyName("r")] string? Role,
        [property: JsonPropertyName("s")] bool Subscribed,
        [property: JsonPropertyName("a")] string Attributes,
        [property: JsonPropertyName("t")] long Total,
        [property: JsonPropertyName("u")] long Unread,
        [property: JsonPropertyName("v")] long UidValidity)
    {
        public static Entry From(MailboxInfo m) =>
            new(m.Id, m.Path, m.Role?.ToString(), m.Subscribed, string.Join(' ', m.Attributes.Where(a => !Volatile(a)).Order(StringComparer.Ordinal)), m.Total, m.Unread, m.UidValidity);

        // \Marked and \Unmarked (RFC 3501 7.2.2) flip with every SELECT by any client: not a change of the mailbox.
        private static bool Volatile(string attribute) => attribute is "Marked" or "Unmarked";

        public IEnumerable<string> Differences(Entry other) =>
            new (string Name, bool Changed)[]
            {
                ("path", Path != other.Path),
                ("role", Role != other.Role),
                ("subscribed", Subscribed != other.Subscribed),
                ("attributes", Attributes != other.Attributes),
                ("total", Total != other.Total),
                ("unread", Unread != other.Unread),
                ("uidValidity", UidValidity != other.UidValidity),
            }.Where(p => p.Changed).Select(p => p.Name);
    }
}

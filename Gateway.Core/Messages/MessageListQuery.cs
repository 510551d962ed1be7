using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Errors;
using Gateway.Core.Messages.Cache;
using MailKit.Search;

namespace Gateway.Core.Messages;

/// <summary>Filters of a listing, combined with AND; null members do not filter.</summary>
public sealed record MessageFilter(
    bool? Unread = null,
    bool? Flagged = null,
    string? From = null,
    string? To = null,
    string? Subject = null,
    string? Text = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Before = null,
    bool? HasAttachments = null)
{
    public static MessageFilter None { get; } = new();

    public bool IsEmpty => this == None;

    /// <summary>True when the cached summaries hold everything the filter needs (all but <see cref="Text"/>).</summary>
    public bool CacheCanAnswer => Text is null;

    /// <summary>Whether a summary passes the filter. With <paramref name="serverMatched"/>, the header and text
    /// criteria were already applied by IMAP SEARCH and only what SEARCH cannot express exactly is checked here.</summary>
    public bool Matches(MessageSummary m, bool serverMatched)
    {
        if (Unread is { } unread && m.Seen == unread)
        {
            return false;
        }

        if (Flagged is { } flagged && m.Flagged != flagged)
        {
            return false;
        }

        if (HasAttachments is { } attachments && m.HasAttachments != attachments)
        {
            return false;
        }

        if (Since is { } since && m.ReceivedAt < since)
        {
            return false;
        }

        if (Before is { } before && m.ReceivedAt >= before)
        {
            return false;
        }

        if (serverMatched)
        {
            return true;
        }

        return (From is null || AnyContains(m.From, From))
            && (To is null || AnyContains(m.To, To))
            && (Subject is null || (m.Subject?.Contains(Subject, StringComparison.OrdinalIgnoreCase) ?? false));
    }

    /// <summary>The IMAP SEARCH criteria: exact for flags and text, a day-granular superset for dates (IMAP SINCE and
    /// BEFORE ignore the time), <c>ALL</c> when nothing applies.</summary>
    public SearchQuery ToSearchQuery()
    {
        var parts = new List<SearchQuery>();
        if (Unread is { } unread)
        {
            parts.Add(unread ? SearchQuery.NotSeen : SearchQuery.Seen);
        }

        if (Flagged is { } flagged)
        {
            parts.Add(flagged ? SearchQuery.Flagged : SearchQuery.NotFlagged);
        }

        if (From is not null)
        {
            parts.Add(SearchQuery.FromContains(From));
        }

        if (To is not null)
        {
            parts.Add(SearchQuery.ToContains(To));
        }

        if (Subject is not null)
        {
            parts.Add(SearchQuery.SubjectContains(Subject));
        }

        if (Text is not null)
        {
            parts.Add(SearchQuery.MessageContains(Text));
        }

        if (Since is { } since)
        {
            parts.Add(SearchQuery.DeliveredAfter(since.UtcDateTime.Date.AddDays(-1)));
        }

        if (Before is { } before)
        {
            parts.Add(SearchQuery.DeliveredBefore(before.UtcDateTime.Date.AddDays(2)));
        }

        return parts.Count == 0 ? SearchQuery.All : parts.Aggregate(SearchQuery.And);
    }

    /// <summary>A canonical text of the filter, for binding page tokens to it.</summary>
    public string Canonical() => string.Join('\u001f',
        Unread?.ToString() ?? "-",
        Flagged?.ToString() ?? "-",
        From ?? "\u0000",
        To ?? "\u0000",
        Subject ?? "\u0000",
        Text ?? "\u0000",
        Since?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? "-",
        Before?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? "-",
        HasAttachments?.ToString() ?? "-");

    private static bool AnyContains(IReadOnlyList<EmailAddress> list, string needle)
    {
        foreach (var a in list)
        {
            if (a.Address.Contains(needle, StringComparison.OrdinalIgnoreCase)
                || (a.Name?.Contains(needle, StringComparison.OrdinalIgnoreCase) ?? false))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A listing request.</summary>
/// <param name="Order">Arrival (UID) or date order, newest first.</param>
/// <param name="PageSize">1 to <see cref="MaxPageSize"/>.</param>
/// <param name="PageToken">The token from the previous page, or null for the first.</param>
/// <param name="Filter">Filters.</param>
public sealed record MessageListQuery(ListOrder Order, int PageSize, string? PageToken, MessageFilter Filter)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
}

/// <summary>
/// Page tokens: opaque, URL-safe, bound to the account, the mailbox, the order and the filter (a token used with
/// another query or account is rejected), carrying the UIDVALIDITY (a token from an older one answers 410), the
/// position after the last item (keyset paging: an expunge never shifts later pages) and a UID snapshot (mail arriving
/// while paging never makes an item appear twice or push one out).
/// </summary>
public static class PageTokens
{
    private const byte Version = 1;
    private const int Length = 1 + 8 + 4 + 4 + 4 + 8;

    /// <summary>The decoded content of a page token.</summary>
    public readonly record struct Token(uint UidValidity, uint UidLimit, ListPosition After);

    public static byte[] Binding(string accountId, string mailboxId, ListOrder order, MessageFilter filter)
    {
        var text = $"page\n{accountId}\n{mailboxId}\n{order}\n{filter.Canonical()}";
        return SHA256.HashData(Encoding.UTF8.GetBytes(text))[..8];
    }

    public static string Encode(ReadOnlySpan<byte> binding, Token token)
    {
        Span<byte> raw = stackalloc byte[Length];
        raw[0] = Version;
        binding[..8].CopyTo(raw[1..]);
        BinaryPrimitives.WriteUInt32BigEndian(raw[9..], token.UidValidity);
        BinaryPrimitives.WriteUInt32BigEndian(raw[13..], token.UidLimit);
        BinaryPrimitives.WriteUInt32BigEndian(raw[17..], token.After.Uid);
        BinaryPrimitives.WriteInt64BigEndian(raw[21..], token.After.SortDate.ToUnixTimeSeconds());
        return Base64Url.EncodeToString(raw);
    }

    /// <summary>Decodes a token of this query.</summary>
    /// <exception cref="RequestValidationException">Not a token, or one of another query or account.</exception>
    public static Token Decode(string text, ReadOnlySpan<byte> binding)
    {
        Span<byte> raw = stackalloc byte[Length + 3];
        if (text.Length != Base64Url.GetEncodedLength(Length) || !MessageIds.Base64.TryDecode(text, raw, out var written) || written != Length || raw[0] != Version)
        {
            throw RequestValidationException.For("pageToken", "The page token is not valid.");
        }

        if (!raw.Slice(1, 8).SequenceEqual(binding[..8]))
        {
            throw RequestValidationException.For("pageToken", "The page token belongs to another query: keep the same mailbox, sort and filters while paging.");
        }

        var after = new ListPosition(
            BinaryPrimitives.ReadUInt32BigEndian(raw[17..]),
            DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(BinaryPrimitives.ReadInt64BigEndian(raw[21..]), -62135596800L, 253402300799L)));
        var token = new Token(BinaryPrimitives.ReadUInt32BigEndian(raw[9..]), BinaryPrimitives.ReadUInt32BigEndian(raw[13..]), after);
        if (token.UidValidity == 0 || token.After.Uid == 0)
        {
            throw RequestValidationException.For("pageToken", "The page token is not valid.");
        }

        return token;
    }
}

/// <summary>
/// Mailbox state tokens: opaque, URL-safe; UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the message count. Equal tokens mean
/// an unchanged mailbox (with CONDSTORE; without it flag changes do not show).
/// </summary>
public static class MailboxStates
{
    private const byte Version = 1;

    /// <summary>A decoded state.</summary>
    public readonly record struct State(uint UidValidity, uint UidNext, ulong HighestModSeq, long Exists)
    {
        public string Token => Encode(UidValidity, UidNext, HighestModSeq, Exists);
    }

    public static string Encode(uint uidValidity, uint uidNext, ulong highestModSeq, long exists)
    {
        Span<byte> raw = stackalloc byte[1 + 4 + 4 + 8 + 4];
        raw[0] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(raw[1..], uidValidity);
        BinaryPrimitives.WriteUInt32BigEndian(raw[5..], uidNext);
        BinaryPrimitives.WriteUInt64BigEndian(raw[9..], highestModSeq);
        BinaryPrimitives.WriteUInt32BigEndian(raw[17..], (uint)Math.Clamp(exists, 0, uint.MaxValue));
        return Base64Url.EncodeToString(raw);
    }

    /// <summary>Decodes a state token; false when it is not one.</summary>
    public static bool TryDecode(string? text, out (uint UidValidity, uint UidNext, ulong HighestModSeq, long Exists) state)
    {
        state = default;
        Span<byte> raw = stackalloc byte[24];
        if (text is null || text.Length != Base64Url.GetEncodedLength(21) || !MessageIds.Base64.TryDecode(text, raw, out var written) || written != 21 || raw[0] != Version)
        {
            return false;
        }

        state = (BinaryPrimitives.ReadUInt32BigEndian(raw[1..]), BinaryPrimitives.ReadUInt32BigEndian(raw[5..]),
            BinaryPrimitives.ReadUInt64BigEndian(raw[9..]), BinaryPrimitives.ReadUInt32BigEndian(raw[17..]));
        return true;
    }
}

using System.Buffers.Binary;
using System.Buffers.Text;
using Gateway.Core.Messages;

namespace Gateway.Core.Changes;

/// <summary>
/// What changed in one mailbox between two states, in the shape of JMAP's <c>Foo/changes</c> (RFC 8620 §5.2).
/// </summary>
/// <param name="OldState">The state asked about (the <c>since</c> parameter).</param>
/// <param name="NewState">The state this answer brings the caller to; pass it as <c>since</c> next time.</param>
/// <param name="HasMoreChanges">True when <see cref="NewState"/> is an intermediate state: call again with it.</param>
/// <param name="Created">Ids of messages that arrived (and still exist).</param>
/// <param name="Updated">Ids of messages whose flags or keywords changed.</param>
/// <param name="Destroyed">Ids of messages expunged (moved away or deleted).</param>
public sealed record MailboxChanges(
    string OldState,
    string NewState,
    bool HasMoreChanges,
    IReadOnlyList<string> Created,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Destroyed);

/// <summary>
/// A point in a mailbox's history a change request starts from: a plain state (the <c>state</c> of a listing, see
/// <see cref="MailboxStates"/>) or an intermediate state handed out when an answer was cut at <c>maxChanges</c>.
/// </summary>
/// <remarks>
/// <para>An intermediate state says "the changes from <see cref="From"/> to <see cref="To"/>, of which those up to
/// <see cref="Cursor"/> were already reported". Its series is fixed when it starts: every change up to
/// <see cref="To"/> is reported exactly by the series (in the order destroyed, created, updated, each by UID), and every
/// later change by the next request from <see cref="To"/>, which is a plain state. Keyset cursors cannot skip an entry
/// when entries come and go between calls.</para>
/// </remarks>
public readonly record struct ChangePoint(MailboxStates.State From, MailboxStates.State? To, ChangeCursor Cursor)
{
    private const byte IntermediateVersion = 2;
    private const int IntermediateLength = 1 + 4 + (4 + 8 + 4) + (4 + 8 + 4) + 1 + 4;

    /// <summary>Decodes <paramref name="text"/>: a listing's state, or an intermediate state of this API.</summary>
    public static bool TryDecode(string? text, out ChangePoint point)
    {
        point = default;
        if (MailboxStates.TryDecode(text, out var plain))
        {
            point = new ChangePoint(new MailboxStates.State(plain.UidValidity, plain.UidNext, plain.HighestModSeq, plain.Exists), null, default);
            return true;
        }

        Span<byte> raw = stackalloc byte[IntermediateLength + 2];
        if (text is null || text.Length != Base64Url.GetEncodedLength(IntermediateLength)
            || !MessageIds.Base64.TryDecode(text, raw, out var written) || written != IntermediateLength || raw[0] != IntermediateVersion)
        {
            return false;
        }

        var uidValidity = BinaryPrimitives.ReadUInt32BigEndian(raw[1..]);
        var from = ReadState(uidValidity, raw[5..]);
        var to = ReadState(uidValidity, raw[21..]);
        var kind = (ChangeKind)raw[37];
        if (kind is < ChangeKind.Destroyed or > ChangeKind.Updated)
        {
            return false;
        }

        point = new ChangePoint(from, to, new ChangeCursor(kind, BinaryPrimitives.ReadUInt32BigEndian(raw[38..])));
        return true;
    }

    /// <summary>The intermediate state "from <paramref name="from"/> to <paramref name="to"/>, reported up to
    /// <paramref name="cursor"/>".</summary>
    public static string EncodeIntermediate(MailboxStates.State from, MailboxStates.State to, ChangeCursor cursor)
    {
        Span<byte> raw = stackalloc byte[IntermediateLength];
        raw[0] = IntermediateVersion;
        BinaryPrimitives.WriteUInt32BigEndian(raw[1..], from.UidValidity);
        WriteState(from, raw[5..]);
        WriteState(to, raw[21..]);
        raw[37] = (byte)cursor.Kind;
        BinaryPrimitives.WriteUInt32BigEndian(raw[38..], cursor.Uid);
        return Base64Url.EncodeToString(raw);
    }

    private static MailboxStates.State ReadState(uint uidValidity, ReadOnlySpan<byte> raw) =>
        new(uidValidity, BinaryPrimitives.ReadUInt32BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[4..]), BinaryPrimitives.ReadUInt32BigEndian(raw[12..]));

    private static void WriteState(MailboxStates.State state, Span<byte> raw)
    {
        BinaryPrimitives.WriteUInt32BigEndian(raw, state.UidNext);
        BinaryPrimitives.WriteUInt64BigEndian(raw[4..], state.HighestModSeq);
        BinaryPrimitives.WriteUInt32BigEndian(raw[12..], (uint)Math.Clamp(state.Exists, 0, uint.MaxValue));
    }
}

/// <summary>The kinds of change, in the order a series reports them.</summary>
public enum ChangeKind : byte
{
    Destroyed = 1,
    Created = 2,
    Updated = 3,
}

/// <summary>The last change reported in a series: its kind and UID (default: nothing reported yet).</summary>
public readonly record struct ChangeCursor(ChangeKind Kind, uint Uid)
{
    /// <summary>True when (<paramref name="kind"/>, <paramref name="uid"/>) comes after this cursor.</summary>
    public bool IsBefore(ChangeKind kind, uint uid) => Kind == 0 || kind > Kind || (kind == Kind && uid > Uid);
}

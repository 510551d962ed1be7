using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// The compact binary form of a <see cref="MessageSummary"/> kept in the header cache (a few hundred bytes instead of
/// JSON's ~1 KB). The first 21 bytes have a fixed layout that the Redis scripts read:
/// <c>uid (4, big-endian) | version (1) | modseq (8, BE) | sort date (8, BE, seconds with the sign bit flipped)</c>;
/// the rest is flags, dates, size, then length-prefixed UTF-8 strings and address lists.
/// </summary>
public static class SummaryCodec
{
    private const byte Version = 1;
    private const byte HasAttachmentsBit = 0x80;

    /// <summary>Offset of the modseq field.</summary>
    public const int ModSeqOffset = 5;

    /// <summary>Offset of the sort-date field.</summary>
    public const int SortDateOffset = 13;

    /// <summary>Length of the date-index member: sort date (8) and the complemented UID (4).</summary>
    public const int DateKeyLength = 12;

    public static byte[] Encode(MessageSummary m)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var head = buffer.GetSpan(21);
        BinaryPrimitives.WriteUInt32BigEndian(head, m.Uid);
        head[4] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(head[ModSeqOffset..], m.ModSeq);
        BinaryPrimitives.WriteUInt64BigEndian(head[SortDateOffset..], SortableSeconds(m.SortDate));
        buffer.Advance(21);

        WriteByte(buffer, (byte)((byte)m.Flags | (m.HasAttachments ? HasAttachmentsBit : 0)));
        WriteVarLong(buffer, m.ReceivedAt.ToUnixTimeMilliseconds());
        WriteVarLong(buffer, m.Date is { } d ? d.ToUnixTimeMilliseconds() + 1 : 0); // 0 = none; dates before 1970 shift by one
        WriteVarLong(buffer, m.Size);
        WriteString(buffer, m.Subject);
        WriteString(buffer, m.MessageId);
        WriteString(buffer, m.InReplyTo);
        WriteString(buffer, m.Preview);
        WriteAddresses(buffer, m.From);
        WriteAddresses(buffer, m.To);
        WriteAddresses(buffer, m.Cc);
        WriteAddresses(buffer, m.ReplyTo);
        WriteVarLong(buffer, m.Keywords.Count);
        foreach (var keyword in m.Keywords)
        {
            WriteString(buffer, keyword);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static MessageSummary Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 22 || data[4] != Version)
        {
            throw new FormatException("Not a cached summary of a known version.");
        }

        var uid = BinaryPrimitives.ReadUInt32BigEndian(data);
        var modSeq = BinaryPrimitives.ReadUInt64BigEndian(data[ModSeqOffset..]);
        var reader = new Reader(data[21..]);
        var flagsByte = reader.Byte();
        var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.VarLong());
        var dateRaw = reader.VarLong();
        var size = reader.VarLong();
        var subject = reader.String();
        var messageId = reader.String();
        var inReplyTo = reader.String();
        var preview = reader.String();
        var from = reader.Addresses();
        var to = reader.Addresses();
        var cc = reader.Addresses();
        var replyTo = reader.Addresses();
        var keywordCount = (int)reader.VarLong();
        var keywords = keywordCount == 0 ? [] : new string[keywordCount];
        for (var i = 0; i < keywordCount; i++)
        {
            keywords[i] = reader.String() ?? string.Empty;
        }

        return new MessageSummary(
            uid,
            modSeq,
            (MessageFlags)(flagsByte & ~HasAttachmentsBit),
            keywords,
            receivedAt,
            dateRaw == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(dateRaw - 1),
            size,
            (flagsByte & HasAttachmentsBit) != 0,
            subject,
            from,
            to,
            cc,
            replyTo,
            messageId,
            inReplyTo,
            preview);
    }

    /// <summary>The UID stored in an encoded summary.</summary>
    public static uint UidOf(ReadOnlySpan<byte> data) => BinaryPrimitives.ReadUInt32BigEndian(data);

    /// <summary>The member of the date index for a summary: it orders by sort date descending, then UID ascending
    /// when read in reverse, the order IMAP <c>SORT (REVERSE DATE)</c> gives (ties in mailbox order).</summary>
    public static byte[] DateKey(DateTimeOffset sortDate, uint uid)
    {
        var key = new byte[DateKeyLength];
        BinaryPrimitives.WriteUInt64BigEndian(key, SortableSeconds(sortDate));
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(8), ~uid);
        return key;
    }

    /// <summary>The date-index member of an encoded summary (from its fixed-offset sort date and UID).</summary>
    public static byte[] DateKeyOf(ReadOnlySpan<byte> encoded)
    {
        var key = new byte[DateKeyLength];
        encoded.Slice(SortDateOffset, 8).CopyTo(key);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(8), ~UidOf(encoded));
        return key;
    }

    /// <summary>The MODSEQ of an encoded summary.</summary>
    public static ulong ModSeqOf(ReadOnlySpan<byte> encoded) => BinaryPrimitives.ReadUInt64BigEndian(encoded[ModSeqOffset..]);

    /// <summary>The UID a date-index member points at.</summary>
    public static uint UidOfDateKey(ReadOnlySpan<byte> key) => ~BinaryPrimitives.ReadUInt32BigEndian(key[8..]);

    /// <summary>Seconds since 1970 with the sign bit flipped, so big-endian bytes sort like the numbers.</summary>
    private static ulong SortableSeconds(DateTimeOffset date) => (ulong)date.ToUnixTimeSeconds() ^ 0x8000_0000_0000_0000UL;

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteVarLong(ArrayBufferWriter<byte> buffer, long value)
    {
        // ZigZag, then 7 bits per byte.
        var v = (ulong)((value << 1) ^ (value >> 63));
        var span = buffer.GetSpan(10);
        var i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[i++] = (byte)v;
        buffer.Advance(i);
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string? value)
    {
        if (value is null)
        {
            WriteVarLong(buffer, 0);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarLong(buffer, length + 1);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private static void WriteAddresses(ArrayBufferWriter<byte> buffer, IReadOnlyList<EmailAddress> list)
    {
        WriteVarLong(buffer, list.Count);
        foreach (var address in list)
        {
            WriteString(buffer, address.Name);
            WriteString(buffer, address.Address);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public byte Byte() => _data[_position++];

        public long VarLong()
        {
            ulong v = 0;
            var shift = 0;
            byte b;
            do
            {
                if (shift > 63)
                {
                    throw new FormatException("Bad varint in cached summary.");
                }

                b = _data[_position++];
                v |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);
            return (long)(v >> 1) ^ -(long)(v & 1);
        }

        public string? String()
        {
            var length = VarLong();
            if (length == 0)
            {
                return null;
            }

            var s = Encoding.UTF8.GetString(_data.Slice(_position, (int)length - 1));
            _position += (int)length - 1;
            return s;
        }

        public EmailAddress[] Addresses()
        {
            var count = (int)VarLong();
            if (count == 0)
            {
                return [];
            }

            var list = new EmailAddress[count];
            for (var i = 0; i < count; i++)
            {
                list[i] = new EmailAddress(String(), String() ?? string.Empty);
            }

            return list;
        }
    }
}

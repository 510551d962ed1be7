using System.Buffers.Binary;
using System.IO.Compression;

namespace Gateway.Core.Messages.Cache;

/// <summary>
/// A block of up to <see cref="Size"/> consecutive UIDs' encoded summaries, compressed together: neighbouring messages
/// share domains, names and words, so a block compresses to a fraction of its summaries, and one Redis hash field per
/// block costs a few bytes where a sorted-set entry per message costs ~150. Layout:
/// <c>version (4, BE) | count (2, BE) | codec (1) | Brotli( (varint length, summary)* in UID order )</c>. Redis
/// scripts read only the header (version for compare-and-set, count for paging).
/// </summary>
public static class SummaryBlock
{
    /// <summary>UIDs per block (a block id is <c>uid / Size</c>).</summary>
    public const int Size = 64;

    public const int HeaderLength = 7;

    private const byte CodecBrotli = 1;

    /// <summary>Brotli quality 1 with a 256 KB window: a block is ~22 KB raw, and against quality 4 with a 4 MB
    /// window it costs ~1.5 µs per summary instead of ~5.4 for ~10 % more bytes (measured on the 100k bench mailbox:
    /// 120 B instead of 110 B per summary). The fill encodes every summary once, so this is most of its Brotli time.</summary>
    private const int Quality = 1;

    private const int Window = 18;

    public static uint IdOf(uint uid) => uid / Size;

    /// <summary>The version in a block's header (0 for none).</summary>
    public static uint VersionOf(ReadOnlySpan<byte> block) => block.Length >= HeaderLength ? BinaryPrimitives.ReadUInt32BigEndian(block) : 0;

    /// <summary>Encodes <paramref name="entries"/> (encoded summaries in UID order) as a block.</summary>
    public static byte[] Encode(uint version, IReadOnlyCollection<byte[]> entries)
    {
        var rawLength = entries.Sum(e => e.Length + 5);
        var raw = new byte[rawLength];
        var position = 0;
        foreach (var entry in entries)
        {
            var length = (uint)entry.Length;
            while (length >= 0x80)
            {
                raw[position++] = (byte)(length | 0x80);
                length >>= 7;
            }

            raw[position++] = (byte)length;
            entry.CopyTo(raw, position);
            position += entry.Length;
        }

        var output = new byte[HeaderLength + BrotliEncoder.GetMaxCompressedLength(position)];
        BinaryPrimitives.WriteUInt32BigEndian(output, version);
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(4), (ushort)entries.Count);
        output[6] = CodecBrotli;
        if (!BrotliEncoder.TryCompress(raw.AsSpan(0, position), output.AsSpan(HeaderLength), out var written, Quality, Window))
        {
            throw new InvalidOperationException("Brotli could not compress a summary block.");
        }

        return output.AsSpan(0, HeaderLength + written).ToArray();
    }

    /// <summary>The encoded summaries of a block, in UID order.</summary>
    public static List<byte[]> Decode(ReadOnlySpan<byte> block)
    {
        if (block.Length < HeaderLength || block[6] != CodecBrotli)
        {
            throw new FormatException("Not a summary block of a known codec.");
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(block[4..]);
        var entries = new List<byte[]>(count);
        using var decoder = new BrotliDecoder();
        var buffer = new byte[Math.Max(4096, block.Length * 8)];
        var source = block[HeaderLength..];
        var total = 0;
        while (true)
        {
            var status = decoder.Decompress(source, buffer.AsSpan(total), out var consumed, out var written);
            source = source[consumed..];
            total += written;
            if (status == System.Buffers.OperationStatus.Done)
            {
                break;
            }

            if (status == System.Buffers.OperationStatus.DestinationTooSmall)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
                continue;
            }

            throw new FormatException($"A summary block does not decompress ({status}).");
        }

        var raw = buffer.AsSpan(0, total);
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            uint length = 0;
            var shift = 0;
            byte b;
            do
            {
                b = raw[position++];
                length |= (uint)(b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);
            entries.Add(raw.Slice(position, (int)length).ToArray());
            position += (int)length;
        }

        return entries;
    }
}

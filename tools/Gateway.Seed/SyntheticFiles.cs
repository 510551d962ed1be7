using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Gateway.Seed;

/// <summary>
/// Small but valid attachment payloads (PNG images, PDF documents, text files), built once per run from the seed
/// and shared by all messages: encoding a few KB of base64 per message is cheap, building a PNG is not.
/// </summary>
internal sealed class SyntheticFiles
{
    private const int Variants = 8;

    public SyntheticFiles(int seed)
    {
        var random = new Random(seed);
        Pngs = [.. Enumerable.Range(0, Variants).Select(_ => BuildPng(random, 24 + random.Next(40), 16 + random.Next(32)))];
        Pdfs = [.. Enumerable.Range(0, Variants).Select(i => BuildPdf(random, 20 + random.Next(80), i))];
        Texts = [.. Enumerable.Range(0, Variants).Select(_ => BuildText(random, 30 + random.Next(120)))];
    }

    /// <summary>RGB PNG images of 1 to 8 KB.</summary>
    public IReadOnlyList<byte[]> Pngs { get; }

    /// <summary>Single-page PDF documents of 1 to 6 KB with a correct cross-reference table.</summary>
    public IReadOnlyList<byte[]> Pdfs { get; }

    /// <summary>UTF-8 text files with CRLF line endings.</summary>
    public IReadOnlyList<byte[]> Texts { get; }

    private static byte[] BuildPng(Random random, int width, int height)
    {
        // Scanlines: filter byte 0, then RGB pixels; a gradient with noise compresses to a few KB.
        var raw = new byte[height * (1 + (width * 3))];
        var (r0, g0, b0) = (random.Next(256), random.Next(256), random.Next(256));
        var offset = 0;
        for (var y = 0; y < height; y++)
        {
            raw[offset++] = 0;
            for (var x = 0; x < width; x++)
            {
                raw[offset++] = (byte)(r0 + (x * 4) + random.Next(24));
                raw[offset++] = (byte)(g0 + (y * 4) + random.Next(24));
                raw[offset++] = (byte)(b0 + ((x + y) * 2) + random.Next(24));
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: truecolour
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(raw);
            }

            WriteChunk(png, "IDAT", compressed.ToArray());
        }

        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        stream.Write(crc);
    }

    private static byte[] BuildPdf(Random random, int lines, int variant)
    {
        var sentences = SampleData.Sentences(Language.English);
        var content = new StringBuilder("BT /F1 11 Tf 56 780 Td 14 TL\n");
        content.Append(CultureInfo.InvariantCulture, $"(Generated document {variant + 1}) Tj T*\n");
        for (var i = 0; i < lines; i++)
        {
            content.Append('(').Append(sentences[random.Next(sentences.Length)]).Append(") Tj T*\n");
        }

        content.Append("ET\n");
        var stream = content.ToString();

        var objects = new[]
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            string.Create(CultureInfo.InvariantCulture, $"<< /Length {stream.Length} >>\nstream\n{stream}endstream"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        };

        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }

        var xref = pdf.Length;
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }

    private static byte[] BuildText(Random random, int lines)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            var language = SampleData.LanguageWeights[random.Next(SampleData.LanguageWeights.Length)];
            var sentences = SampleData.Sentences(language);
            text.Append(CultureInfo.InvariantCulture, $"{i + 1,4}. ").Append(sentences[random.Next(sentences.Length)]).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

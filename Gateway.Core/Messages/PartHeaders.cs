using System.Text.RegularExpressions;
using MailKit;
using MimeKit;
using MimeKit.Encodings;
using MimeKit.Utils;

namespace Gateway.Core.Messages;

/// <summary>What a download of one part needs to know: media type, file name, transfer encoding.</summary>
/// <param name="ContentType">The media type to answer with (type/subtype, plus the charset of text).</param>
/// <param name="FileName">The decoded file name; null when the part has none.</param>
/// <param name="Encoding">The part's Content-Transfer-Encoding.</param>
internal sealed record PartDescription(string ContentType, string? FileName, ContentEncoding Encoding);

/// <summary>Reads a part's own MIME header (<c>BODY.PEEK[part.MIME]</c>) the way MimeKit reads it inside a message.</summary>
internal static partial class PartHeaders
{
    private const int MaxHeaderBytes = 256 * 1024;

    /// <summary>Parses a header block; null when it is empty or not a header block.</summary>
    public static async Task<HeaderList?> LoadAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (stream.CanSeek && (stream.Length == 0 || stream.Length > MaxHeaderBytes))
        {
            return null;
        }

        try
        {
            var headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken);
            return headers.Count == 0 ? null : headers;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Describes a part from its own header where it could be read, else from BODYSTRUCTURE.</summary>
    public static PartDescription Describe(BodyPartBasic part, HeaderList? headers)
    {
        ContentType type = part.ContentType;
        ContentDisposition? disposition = part.ContentDisposition;
        var encoding = ParseEncoding(part.ContentTransferEncoding);
        if (headers is not null)
        {
            if (headers.IndexOf(HeaderId.ContentType) is >= 0 and var t
                && ContentType.TryParse(ParserOptions.Default, headers[t].RawValue, out var parsedType))
            {
                type = parsedType;
            }

            if (headers.IndexOf(HeaderId.ContentDisposition) is >= 0 and var d
                && ContentDisposition.TryParse(ParserOptions.Default, headers[d].RawValue, out var parsedDisposition))
            {
                disposition = parsedDisposition;
            }

            if (headers.IndexOf(HeaderId.ContentTransferEncoding) is >= 0 and var e)
            {
                encoding = ParseEncoding(headers[e].Value);
            }
        }

        var name = disposition?.FileName ?? type.Name;
        var contentType = MediaType(type);
        if (type.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase) && type.Charset is { } charset && Token().IsMatch(charset))
        {
            contentType += "; charset=" + charset.ToLowerInvariant();
        }

        return new PartDescription(contentType, string.IsNullOrWhiteSpace(name) ? null : name.Trim(), encoding);
    }

    /// <summary><c>type/subtype</c> in lower case; <c>application/octet-stream</c> when the part's is not a valid one.</summary>
    public static string MediaType(ContentType type)
    {
        var value = (type.MediaType + "/" + type.MediaSubtype).ToLowerInvariant();
        return Token().IsMatch(type.MediaType) && Token().IsMatch(type.MediaSubtype) ? value : "application/octet-stream";
    }

    /// <summary>MimeKit's decoder for a transfer encoding; null when the bytes are not encoded.</summary>
    public static IMimeDecoder? DecoderFor(ContentEncoding encoding) => encoding switch
    {
        ContentEncoding.Base64 => new Base64Decoder(),
        ContentEncoding.QuotedPrintable => new QuotedPrintableDecoder(),
        ContentEncoding.UUEncode => new UUDecoder(),
        _ => null,
    };

    private static ContentEncoding ParseEncoding(string? value) =>
        value is not null && MimeUtils.TryParse(value.Trim(), out ContentEncoding encoding) ? encoding : ContentEncoding.Default;

    // RFC 2045 token characters.
    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,127}$")]
    private static partial Regex Token();
}

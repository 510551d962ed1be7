using System.Text;
using Gateway.Core.Messages;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Messages;

/// <summary>
/// Streams a <see cref="MessageDownload"/>: the bytes go to the response chunk by chunk as they come from the IMAP
/// server. Always a download (<c>Content-Disposition: attachment</c>), never rendered by a browser on the gateway's
/// origin (<c>nosniff</c>, a sandboxing CSP), whatever type the sender declared.
/// </summary>
public sealed class DownloadResult(MessageDownload download) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = download.ContentType;
        response.Headers.ContentDisposition = ContentDisposition(download.FileName).ToString();
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        response.Headers.CacheControl = "private, no-cache";
        await download.WriteToAsync(response.Body, context.HttpContext.RequestAborted);
    }

    /// <summary><c>attachment</c> with the name as <c>filename*</c> (RFC 6266/8187, UTF-8, percent-encoded) and an ASCII
    /// <c>filename</c> fallback; neither can carry a quote, CR, LF, semicolon or path separator into the header.</summary>
    public static ContentDispositionHeaderValue ContentDisposition(string? fileName)
    {
        var name = SafeFileName(fileName);
        var value = new ContentDispositionHeaderValue("attachment");
        value.FileName = "\"" + AsciiFallback(name) + "\"";
        value.FileNameStar = name;
        return value;
    }

    /// <summary>The decoded name without control characters or path separators; <c>attachment</c> when nothing is left.</summary>
    public static string SafeFileName(string? fileName)
    {
        var builder = new StringBuilder(fileName?.Length ?? 0);
        foreach (var rune in (fileName ?? string.Empty).EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Value is 0x2028 or 0x2029 or 0xFEFF || Rune.GetUnicodeCategory(rune) is
                System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                continue;
            }

            builder.Append(rune.Value is '/' or '\\' ? "_" : rune.ToString());
        }

        var name = builder.ToString().Trim().Trim('.');
        if (name.Length > 200)
        {
            name = name[..(char.IsHighSurrogate(name[199]) ? 199 : 200)];
        }

        return name.Length == 0 ? "attachment" : name;
    }

    private static string AsciiFallback(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(c is >= ' ' and < (char)127 and not ('"' or '\\' or ';' or '%') ? c : '_');
        }

        return builder.ToString();
    }
}

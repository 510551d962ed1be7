using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Ganss.Xss;

namespace Gateway.Core.Messages;

/// <summary>How <see cref="MessageHtmlSanitizer"/> treats the references in a message's HTML.</summary>
/// <param name="AllowRemote">Keep remote loads (http/https images, backgrounds, CSS <c>url()</c>); links stay either way.</param>
/// <param name="ResolveContentId">The URL that serves the part with this Content-ID (without angle brackets), or null
/// when the message has no such part (the reference is then removed).</param>
/// <param name="ResolvePart">The URL that serves the part with this IMAP part number (see <see cref="PartScheme"/>).</param>
public sealed record HtmlSanitizingOptions(bool AllowRemote, Func<string, string?> ResolveContentId, Func<string, string?> ResolvePart);

/// <summary>
/// Makes a message's HTML safe to put into a web page, with the maintained HtmlSanitizer (Ganss.Xss) and a mail policy
/// on top of its defaults.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Removed: <c>script</c>, <c>style</c>, <c>iframe</c>, <c>object</c>, <c>embed</c>, <c>svg</c>, <c>base</c>,
/// <c>meta</c>, <c>link</c> and every other element outside the sanitizer's allow-list; forms and their controls
/// (<c>form</c>, <c>input</c>, <c>button</c>, <c>select</c>, <c>option</c>, <c>textarea</c>, ...); every <c>on*</c>
/// event handler attribute; <c>class</c> and <c>id</c> (they would hook into the host page's CSS and scripts); the CSS
/// <c>position</c> property (an email must not overlay the page around it).</item>
/// <item>URLs: links (<c>a</c>/<c>area</c> <c>href</c>) may be http, https, mailto or tel, and open in a new browsing
/// context (<c>target="_blank" rel="noopener noreferrer"</c>). Everything that loads (<c>src</c>, <c>srcset</c>,
/// <c>background</c>, CSS <c>url()</c>) may be a <c>cid:</c> reference, rewritten to the attachment's URL, or a
/// <c>data:</c> URL of a raster image on an <c>img</c>; http/https loads only with <see cref="HtmlSanitizingOptions.AllowRemote"/>.
/// Any other scheme (<c>javascript:</c>, <c>vbscript:</c>, <c>file:</c>, ...) and relative URLs are removed.</item>
/// <item>CSS values with <c>image-set()</c>, <c>cross-fade()</c>, <c>image()</c> or <c>src()</c> are removed: they can
/// load from a URL without <c>url()</c>.</item>
/// </list>
/// The output is the content of the document's body, as an HTML fragment.
/// </remarks>
public static class MessageHtmlSanitizer
{
    /// <summary>A URL scheme the gateway itself puts into HTML to show an inline image that has no Content-ID:
    /// <c>x-gateway-part:2.3</c> is resolved with <see cref="HtmlSanitizingOptions.ResolvePart"/>.</summary>
    public const string PartScheme = "x-gateway-part";

    private static readonly string[] RemovedTags =
    [
        "form", "input", "button", "select", "option", "optgroup", "textarea", "datalist", "keygen", "output", "menuitem",
        "label", "fieldset", "legend", "progress", "meter",
    ];

    private static readonly Regex SafeDataImage = new(
        "^data:image/(png|gif|jpeg|jpg|webp|bmp);base64,[a-z0-9+/=\\s]*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    private static readonly Regex Scheme = new(
        "^([a-z][a-z0-9+.-]*):", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>The configured sanitizer, built once: its configuration is never changed after construction, and
    /// HtmlSanitizer keeps no state of its own between or during calls, so one instance serves every thread. Building
    /// one per message (eight allow-list sets copied from the defaults and a regex parsed) cost about as much as
    /// sanitizing a typical message.</summary>
    private static readonly HtmlSanitizer Shared = Create();

    /// <summary>The options of the <see cref="Sanitize"/> call running on this thread. Sanitizing is synchronous, so
    /// the sanitizer's event handlers run on the caller's thread, in the call: this is how they see the per-message
    /// options without a sanitizer per message.</summary>
    [ThreadStatic]
    private static HtmlSanitizingOptions? t_current;

    /// <summary>Sanitizes <paramref name="html"/> (a document or a fragment) and returns the body's content.</summary>
    public static string Sanitize(string html, HtmlSanitizingOptions options)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentNullException.ThrowIfNull(options);
        var outer = t_current;
        t_current = options;
        try
        {
            return Shared.Sanitize(html);
        }
        finally
        {
            t_current = outer;
        }
    }

    private static HtmlSanitizer Create()
    {
        var sanitizer = new HtmlSanitizer
        {
            KeepChildNodes = true,
            DisallowCssPropertyValue = new Regex(
                HtmlSanitizer.DefaultDisallowedCssPropertyValue + "|image-set|cross-fade|\\bimage\\s*\\(|\\bsrc\\s*\\(",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
        };
        foreach (var tag in RemovedTags)
        {
            sanitizer.AllowedTags.Remove(tag);
        }

        sanitizer.AllowedAttributes.Add("srcset");
        sanitizer.AllowedAttributes.Add("background");
        sanitizer.AllowedCssProperties.Remove("position");
        foreach (var scheme in new[] { "cid", "data", "mailto", "tel", PartScheme })
        {
            sanitizer.AllowedSchemes.Add(scheme);
        }

        sanitizer.RemovingTag += (_, e) =>
        {
            // Keep the text of harmless wrappers (e.g. a form around a table); drop what never is text.
            if (e.Tag.LocalName is "script" or "style" or "title" or "template" or "noscript" or "iframe" or "object"
                or "embed" or "applet" or "svg" or "math" or "head" or "select" or "textarea" or "noembed" or "noframes"
                or "xmp" or "frameset" or "frame" or "audio" or "video" or "canvas")
            {
                e.Tag.InnerHtml = string.Empty;
            }
        };

        // Outside a Sanitize call there are no options: fail closed (the URL is removed).
        sanitizer.FilterUrl += (_, e) => e.SanitizedUrl = t_current is { } options ? Filter(e.Tag, e.OriginalUrl, e.SanitizedUrl, options) : null;
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is IElement element && element.LocalName is "a" or "area" && element.HasAttribute("href"))
            {
                element.SetAttribute("target", "_blank");
                element.SetAttribute("rel", "noopener noreferrer");
            }
        };

        return sanitizer;
    }

    private static string? Filter(IElement tag, string originalUrl, string? sanitizedUrl, HtmlSanitizingOptions options)
    {
        if (sanitizedUrl is null)
        {
            // The sanitizer refused it (scheme not allowed at all, or not a URL).
            return null;
        }

        var url = originalUrl.Trim();
        var scheme = Scheme.Match(url) is { Success: true } m ? m.Groups[1].Value.ToLowerInvariant() : null;
        var isLink = tag.LocalName is "a" or "area" && IsHref(tag, url);
        switch (scheme)
        {
            case "cid":
                return options.ResolveContentId(Unescape(url[4..]).Trim('<', '>'));
            case PartScheme:
                return options.ResolvePart(url[(PartScheme.Length + 1)..]);
            case "data":
                return !isLink && tag.LocalName == "img" && SafeDataImage.IsMatch(url) ? url : null;
            case "mailto" or "tel":
                return isLink ? url : null;
            case "http" or "https":
                return isLink || options.AllowRemote ? sanitizedUrl : null;
            case null when url.StartsWith("//", StringComparison.Ordinal):
                return isLink || options.AllowRemote ? "https:" + url : null;
            default:
                return null;
        }
    }

    /// <summary>True when <paramref name="url"/> is the element's link target and not also something it loads.</summary>
    private static bool IsHref(IElement tag, string url) =>
        string.Equals(tag.GetAttribute("href")?.Trim(), url, StringComparison.Ordinal)
        && tag.GetAttribute("style")?.Contains(url, StringComparison.OrdinalIgnoreCase) != true
        && tag.GetAttribute("background")?.Contains(url, StringComparison.OrdinalIgnoreCase) != true;

    private static string Unescape(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }
}

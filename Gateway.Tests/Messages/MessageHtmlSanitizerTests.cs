using System.Globalization;
using Gateway.Core.Messages;

namespace Gateway.Tests.Messages;

/// <summary>The sanitizer is one configured instance shared by all threads; each call must still see only its own
/// options (remote loads, Content-ID and part URLs).</summary>
public sealed class MessageHtmlSanitizerTests
{
    private const string Html =
        "<p onclick=\"alert(1)\">hi <script>alert(2)</script><img alt=\"cid\" src=\"cid:logo@x.test\">"
        + "<img alt=\"part\" src=\"x-gateway-part:2\"><img alt=\"remote\" src=\"https://tracker.test/p.gif\">"
        + "<a href=\"https://example.test/\">link</a></p>";

    [Fact]
    public void Sanitize_ConcurrentCallsWithDifferentOptions_EachSeesOnlyItsOwn()
    {
        var expected = Enumerable.Range(0, 400).Select(i => MessageHtmlSanitizer.Sanitize(Html, OptionsFor(i))).ToArray();

        var actual = new string[expected.Length];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = MessageHtmlSanitizer.Sanitize(Html, OptionsFor(i)));

        for (var i = 0; i < actual.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
            var remote = i % 2 == 0;
            Assert.Empty(HtmlSafety.Problems(actual[i], allowRemote: remote));
            Assert.Contains($"/att/{i}/cid", actual[i], StringComparison.Ordinal);
            Assert.Contains($"/att/{i}/part-2", actual[i], StringComparison.Ordinal);
            Assert.Equal(remote, actual[i].Contains("tracker.test", StringComparison.Ordinal));
            Assert.Contains("target=\"_blank\"", actual[i], StringComparison.Ordinal);
            Assert.DoesNotContain("alert", actual[i], StringComparison.Ordinal);
            foreach (var other in new[] { i - 1, i + 1 })
            {
                Assert.DoesNotContain($"/att/{other.ToString(CultureInfo.InvariantCulture)}/", actual[i], StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Sanitize_ResolverThatSanitizesAgain_KeepsTheOuterCallsOptions()
    {
        // A resolver that itself sanitizes (nothing does today) must not leave the outer call with the inner options.
        var options = new HtmlSanitizingOptions(
            AllowRemote: false,
            ResolveContentId: cid => MessageHtmlSanitizer.Sanitize("<img src=\"https://tracker.test/x\">", OptionsFor(1)).Length >= 0 ? "/outer/cid" : null,
            ResolvePart: part => "/outer/part-" + part);

        var html = MessageHtmlSanitizer.Sanitize(Html, options);

        Assert.Contains("/outer/cid", html, StringComparison.Ordinal);
        Assert.Contains("/outer/part-2", html, StringComparison.Ordinal);
        Assert.DoesNotContain("tracker.test", html, StringComparison.Ordinal);
    }

    private static HtmlSanitizingOptions OptionsFor(int i) => new(
        AllowRemote: i % 2 == 0,
        ResolveContentId: cid => cid == "logo@x.test" ? $"/att/{i}/cid" : null,
        ResolvePart: part => $"/att/{i}/part-{part}");
}

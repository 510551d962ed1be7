using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;

namespace Gateway.Api.Messages;

/// <summary>
/// Listing pages as sent, by ETag. With CONDSTORE a page's ETag follows from the mailbox state and the query alone, so
/// once the STATUS of the next request shows the same state, the same bytes can be sent again without reading the
/// cache or serialising JSON. Bounded by <c>Cache:RenderedPagesBytes</c> (least recently used go first); per process.
/// </summary>
public sealed class RenderedPages(IConfiguration configuration) : IDisposable
{
    private readonly MemoryCache _pages = new(new MemoryCacheOptions
    {
        SizeLimit = configuration.GetValue<long?>("Cache:RenderedPagesBytes") ?? 32 * 1024 * 1024,
        CompactionPercentage = 0.25,
    });

    /// <summary>One rendered page: the JSON body and the next page's token (for the <c>Link</c> header).</summary>
    public sealed record Page(ReadOnlyMemory<byte> Json, string? NextPageToken);

    public bool Contains(string etag) => _pages.TryGetValue(etag, out _);

    public bool TryGet(string etag, out Page page)
    {
        if (_pages.TryGetValue(etag, out var value) && value is Page hit)
        {
            page = hit;
            return true;
        }

        page = null!;
        return false;
    }

    public void Set(string etag, Page page) =>
        _pages.Set(etag, page, new MemoryCacheEntryOptions
        {
            Size = page.Json.Length + 200,
            SlidingExpiration = TimeSpan.FromMinutes(10),
        });

    /// <summary>True when an <c>If-None-Match</c> header value names <paramref name="etag"/> (weak comparison, <c>*</c>).</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var candidate in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var value = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
                if (value == "*" || string.Equals(value, etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public void Dispose() => _pages.Dispose();
}

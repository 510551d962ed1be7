using System.Globalization;
using Gateway.Api.Auth;
using Gateway.Api.OpenApi;
using Gateway.Api.Problems;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Messages;

/// <summary>
/// <c>GET /api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages</c>, the gateway's hottest request, as a
/// minimal-API endpoint. Every other endpoint is an MVC controller action. This one is not, because MVC's invoker added
/// ~40-65 µs to a cached page at one connection (bench B1, interleaved wrk runs: 0.49× the bare baseline as an
/// action, 0.61× as this endpoint), more than the page's own work. The contract (operation id, parameters, responses,
/// problem types) is the one the action had.
/// </summary>
public static class MessageListEndpoint
{
    private const int MaxFilterLength = 256;
    private const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Maps the endpoint (after <c>UseAuthentication</c>, like the controllers).</summary>
    public static IEndpointRouteBuilder MapMessageList(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages", ListAsync)
            .WithName("listMessages")
            .WithTags("Messages")
            .RequireAuthorization()
            .WithMetadata(new QueryParameterTypeAttribute("sort", typeof(MessageSort)))
            .Produces<MessageListResponse>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status404NotFound, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status410Gone, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType);
        return app;
    }

    /// <summary>Lists messages, newest first, a page at a time.</summary>
    /// <remarks>
    /// Pages come from the gateway's header cache, checked against the server with one cheap STATUS per request, so
    /// a page of an unchanged mailbox costs no message fetch. Paging is by keyset: messages arriving or being expunged
    /// while you page never make an item appear twice or be skipped. Send the <c>ETag</c> back in
    /// <c>If-None-Match</c> to get 304 when nothing changed.
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias (<c>inbox</c>, <c>sent</c>, ...).</param>
    /// <param name="pageSize">Items per page: 1 to 500 (larger is clamped); default 50.</param>
    /// <param name="pageToken">The <c>nextPageToken</c> of the previous page.</param>
    /// <param name="sort"><c>arrival</c> (default, newest first) or <c>date</c> (Date header, newest first).</param>
    /// <param name="unread">Only unread (true) or only read (false) messages.</param>
    /// <param name="flagged">Only flagged (true) or only unflagged (false) messages.</param>
    /// <param name="from">Substring of a From name or address (case-insensitive).</param>
    /// <param name="to">Substring of a To name or address (case-insensitive).</param>
    /// <param name="subject">Substring of the subject (case-insensitive).</param>
    /// <param name="text">Text anywhere in the headers or body (IMAP SEARCH TEXT, answered by the server).</param>
    /// <param name="since">Received at or after this date or date-time (RFC 3339; a date means 00:00 UTC).</param>
    /// <param name="before">Received before this date or date-time (RFC 3339; a date means 00:00 UTC).</param>
    /// <param name="hasAttachments">Only messages with (true) or without (false) attachments.</param>
    /// <param name="context">The request.</param>
    /// <param name="listings">The listing service.</param>
    /// <param name="rendered">Pages already rendered, by ETag.</param>
    /// <param name="json">The API's JSON options.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">A page; <c>Link: &lt;...&gt;; rel="next"</c> when there is another.</response>
    /// <response code="304">Nothing changed since the <c>ETag</c> sent in <c>If-None-Match</c>.</response>
    /// <response code="410">The page token is from before the mailbox's UIDVALIDITY changed (<c>uidvalidity-changed</c>).</response>
    internal static async Task<IResult> ListAsync(
        string accountId,
        string mailboxId,
        int? pageSize,
        string? pageToken,
        string? sort,
        bool? unread,
        bool? flagged,
        string? from,
        string? to,
        string? subject,
        string? text,
        string? since,
        string? before,
        bool? hasAttachments,
        HttpContext context,
        MessageListService listings,
        RenderedPages rendered,
        IOptions<JsonOptions> json,
        CancellationToken cancellationToken)
    {
        var session = context.GetAccountSession(accountId);
        if (!MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if (values.Any(string.IsNullOrEmpty) && name is not "pageToken")
            {
                throw RequestValidationException.For(name, $"'{name}' is empty: give it a value or leave it out.");
            }
        }

        // Bound as a string: minimal APIs parse enums case-sensitively and accept numbers; `date` and `Date` are both fine.
        MessageSort? order = null;
        if (sort is not null)
        {
            if (!Enum.TryParse<MessageSort>(sort, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(sort, out _))
            {
                throw RequestValidationException.For("sort", "sort must be 'arrival' or 'date'.");
            }

            order = parsed;
        }

        if (pageSize is <= 0)
        {
            throw RequestValidationException.For("pageSize", "pageSize must be at least 1.");
        }

        if (pageToken is not null && (pageToken.Length is 0 or > 64 || !MailboxIds.IsWellFormed(pageToken)))
        {
            throw RequestValidationException.For("pageToken", "The page token is not valid.");
        }

        var filter = new MessageFilter(
            unread,
            flagged,
            Text(from, "from"),
            Text(to, "to"),
            Text(subject, "subject"),
            Text(text, "text"),
            Date(since, "since"),
            Date(before, "before"),
            hasAttachments);
        var query = new MessageListQuery(
            order == MessageSort.Date ? ListOrder.Date : ListOrder.Arrival,
            Math.Min(pageSize ?? MessageListQuery.DefaultPageSize, MessageListQuery.MaxPageSize),
            pageToken,
            filter);

        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        var page = await listings.ListAsync(session, mailboxId, query, etag => RenderedPages.Matches(ifNoneMatch, etag) || rendered.Contains(etag), cancellationToken);
        context.Response.Headers.CacheControl = "private, no-cache";
        if (page.Known)
        {
            context.Response.Headers.ETag = page.ETag;
            if (RenderedPages.Matches(ifNoneMatch, page.ETag))
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }

            if (rendered.TryGet(page.ETag, out var hit))
            {
                SetNextLink(context, hit.NextPageToken);
                return Results.Bytes(hit.Json, JsonContentType);
            }

            // Evicted between the question and now: read the page after all.
            page = await listings.ListAsync(session, mailboxId, query, null, cancellationToken);
        }

        context.Response.Headers.ETag = page.ETag;
        var items = page.Items.Select(m => MessageSummaryResponse.Create(page.Mailbox.Id, page.UidValidity, m)).ToList();
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new MessageListResponse(items, page.NextPageToken, page.State), json.Value.SerializerOptions);
        if (page.StateTagged && page.Source == PageSource.Cache)
        {
            // Only pages the header cache answered: one from IMAP means the cache is cold or the store is down, and
            // serving it again from memory would keep the next request from noticing (and filling or resuming).
            rendered.Set(page.ETag, new RenderedPages.Page(body, page.NextPageToken));
        }

        SetNextLink(context, page.NextPageToken);
        return Results.Bytes(body, JsonContentType);
    }

    private static void SetNextLink(HttpContext context, string? next)
    {
        if (next is null)
        {
            return;
        }

        var url = QueryHelpers.AddQueryString(
            context.Request.Path,
            context.Request.Query.Where(q => q.Key != "pageToken").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))
                .Append(KeyValuePair.Create("pageToken", (string?)next)));
        context.Response.Headers.Link = $"<{url}>; rel=\"next\"";
    }

    private static string? Text(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length is 0 or > MaxFilterLength)
        {
            throw RequestValidationException.For(field, $"'{field}' must be 1 to {MaxFilterLength} characters.");
        }

        if (value.Any(c => char.IsControl(c)))
        {
            throw RequestValidationException.For(field, $"'{field}' must not contain control characters.");
        }

        return value;
    }

    private static DateTimeOffset? Date(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        if (value.Length > 10 && value.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        throw RequestValidationException.For(field, $"'{field}' must be a date (2025-01-31) or an RFC 3339 date-time (2025-01-31T08:00:00Z).");
    }
}

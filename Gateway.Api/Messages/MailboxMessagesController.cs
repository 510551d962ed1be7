using System.Globalization;
using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Errors;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Api.Messages;

/// <summary>The messages of one mailbox.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages")]
[Tags("Messages")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemTypes.ContentType)]
public sealed class MailboxMessagesController(
    MessageListService listings,
    RenderedPages rendered,
    Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Mvc.JsonOptions> json) : ControllerBase
{
    private const int MaxFilterLength = 256;

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
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="200">A page; <c>Link: &lt;...&gt;; rel="next"</c> when there is another.</response>
    /// <response code="304">Nothing changed since the <c>ETag</c> sent in <c>If-None-Match</c>.</response>
    /// <response code="410">The page token is from before the mailbox's UIDVALIDITY changed (<c>uidvalidity-changed</c>).</response>
    [HttpGet(Name = "listMessages")]
    [ProducesResponseType<MessageListResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesResponseType(StatusCodes.Status304NotModified)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, ProblemTypes.ContentType)]
    public async Task<IActionResult> List(
        string accountId,
        string mailboxId,
        [FromQuery] int? pageSize,
        [FromQuery] string? pageToken,
        [FromQuery] MessageSort? sort,
        [FromQuery] bool? unread,
        [FromQuery] bool? flagged,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] string? subject,
        [FromQuery] string? text,
        [FromQuery] string? since,
        [FromQuery] string? before,
        [FromQuery] bool? hasAttachments,
        CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (!MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        foreach (var (name, values) in Request.Query)
        {
            if (values.Any(string.IsNullOrEmpty) && name is not "pageToken")
            {
                throw RequestValidationException.For(name, $"'{name}' is empty: give it a value or leave it out.");
            }
        }

        if (sort is { } s && (!Enum.IsDefined(s) || int.TryParse(Request.Query["sort"], out _)))
        {
            throw RequestValidationException.For("sort", "sort must be 'arrival' or 'date'.");
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
            sort == MessageSort.Date ? ListOrder.Date : ListOrder.Arrival,
            Math.Min(pageSize ?? MessageListQuery.DefaultPageSize, MessageListQuery.MaxPageSize),
            pageToken,
            filter);

        var ifNoneMatch = Request.Headers.IfNoneMatch;
        var page = await listings.ListAsync(session, mailboxId, query, etag => RenderedPages.Matches(ifNoneMatch, etag) || rendered.Contains(etag), cancellationToken);
        Response.Headers.CacheControl = "private, no-cache";
        if (page.Known)
        {
            Response.Headers.ETag = page.ETag;
            if (RenderedPages.Matches(ifNoneMatch, page.ETag))
            {
                return StatusCode(StatusCodes.Status304NotModified);
            }

            if (rendered.TryGet(page.ETag, out var hit))
            {
                SetNextLink(hit.NextPageToken);
                return new JsonBytesResult(hit.Json);
            }

            // Evicted between the question and now: read the page after all.
            page = await listings.ListAsync(session, mailboxId, query, null, cancellationToken);
        }

        Response.Headers.ETag = page.ETag;
        var items = page.Items.Select(m => MessageSummaryResponse.Create(page.Mailbox.Id, page.UidValidity, m)).ToList();
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new MessageListResponse(items, page.NextPageToken, page.State), json.Value.JsonSerializerOptions);
        if (page.StateTagged && page.Source == PageSource.Cache)
        {
            // Only pages the header cache answered: one from IMAP means the cache is cold or the store is down, and
            // serving it again from memory would keep the next request from noticing (and filling or resuming).
            rendered.Set(page.ETag, new RenderedPages.Page(body, page.NextPageToken));
        }

        SetNextLink(page.NextPageToken);
        return new JsonBytesResult(body);
    }

    private void SetNextLink(string? next)
    {
        if (next is null)
        {
            return;
        }

        var url = QueryHelpers.AddQueryString(
            Request.Path,
            Request.Query.Where(q => q.Key != "pageToken").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))
                .Append(KeyValuePair.Create("pageToken", (string?)next)));
        Response.Headers.Link = $"<{url}>; rel=\"next\"";
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

using System.Globalization;
using Gateway.Api.Auth;
using Gateway.Api.OpenApi;
using Gateway.Api.Problems;
using Gateway.Core.Errors;
using Gateway.Core.Idempotency;
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
    MessageAppender appender,
    Microsoft.Extensions.Options.IOptions<AppendOptions> appendOptions,
    Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Mvc.JsonOptions> json) : ControllerBase
{
    private const int MaxFilterLength = 256;
    private const string MessageMediaType = "message/rfc822";

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

    /// <summary>Stores a message in the mailbox (IMAP APPEND).</summary>
    /// <remarks>
    /// <para>The body is the message itself (<c>Content-Type: message/rfc822</c>), stored byte for byte except that bare
    /// LF line ends become CRLF (and a message that is all header gets the empty line that ends a header). It must
    /// start with a header field and hold no NUL byte; its size is limited by <c>Messages:MaxAppendBytes</c> (413
    /// beyond). The answer is the new message's summary, as listings show it; the next listing shows the message.</para>
    /// <para>Send an <c>Idempotency-Key</c> (1 to 255 printable ASCII characters, kept 24 hours per account) to make a
    /// retry safe: a repeated request answers the first one's result (with <c>Idempotent-Replayed: true</c>) and never
    /// appends twice, even when the first one failed after the server stored the message. The same key with a
    /// different message, mailbox or flags is 422 <c>idempotency-key-reused</c>; while the first request still runs,
    /// 409 <c>idempotency-key-in-use</c> with <c>Retry-After</c>.</para>
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="mailboxId">A mailbox id or a role alias (<c>inbox</c>, <c>drafts</c>, ...).</param>
    /// <param name="seen">Store the message as read (<c>\Seen</c>).</param>
    /// <param name="flagged">Store the message flagged (<c>\Flagged</c>).</param>
    /// <param name="draft">Store the message as a draft (<c>\Draft</c>).</param>
    /// <param name="idempotencyKey">Makes retries of this request safe (see above).</param>
    /// <param name="cancellationToken">Aborted with the request; an APPEND already sent still completes.</param>
    /// <response code="201">Stored; <c>Location</c> is the new message's URL.</response>
    /// <response code="400">Empty or unparsable message, a bad flag value or a bad <c>Idempotency-Key</c> (<c>validation-failed</c>).</response>
    /// <response code="404">No such mailbox (<c>mailbox-not-found</c>).</response>
    /// <response code="409">The mailbox cannot hold messages (<c>conflict</c>), or a request with this key is still running (<c>idempotency-key-in-use</c>, with <c>Retry-After</c>).</response>
    /// <response code="413">The message is larger than <c>Messages:MaxAppendBytes</c> (<c>payload-too-large</c>).</response>
    /// <response code="415">The body is not <c>message/rfc822</c> (<c>unsupported-media-type</c>).</response>
    /// <response code="422">The <c>Idempotency-Key</c> was used for a different request (<c>idempotency-key-reused</c>).</response>
    /// <response code="507">The account is over its quota (<c>over-quota</c>).</response>
    [HttpPost(Name = "appendMessage")]
    [RawRequestBody(MessageMediaType, "The message (RFC 5322 bytes).")]
    [ProducesResponseType<MessageSummaryResponse>(StatusCodes.Status201Created, "application/json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, ProblemTypes.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, ProblemTypes.ContentType)]
    public async Task<IActionResult> Append(
        string accountId,
        string mailboxId,
        [FromQuery] bool? seen,
        [FromQuery] bool? flagged,
        [FromQuery] bool? draft,
        [FromHeader(Name = IdempotencyKeys.HeaderName)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        if (!MailboxIds.IsWellFormed(mailboxId))
        {
            throw RequestValidationException.For("mailboxId", "A mailbox id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'.");
        }

        foreach (var (name, values) in Request.Query)
        {
            if (values.Any(string.IsNullOrEmpty))
            {
                throw RequestValidationException.For(name, $"'{name}' is empty: give it a value or leave it out.");
            }
        }

        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals(MessageMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return new ProblemResult(ProblemWriter.Create(HttpContext, ProblemTypes.UnsupportedMediaType, $"Send the message as '{MessageMediaType}'."));
        }

        if (Request.Headers.TryGetValue(IdempotencyKeys.HeaderName, out var keys))
        {
            if (keys.Count != 1 || !IdempotencyKeys.IsValid(keys[0]))
            {
                throw RequestValidationException.For(IdempotencyKeys.HeaderName, $"Send one {IdempotencyKeys.HeaderName} of 1 to {IdempotencyKeys.MaxLength} printable ASCII characters.");
            }

            idempotencyKey = keys[0];
        }

        // Refused before reading when the declared size is too large; otherwise counted while reading.
        var max = appendOptions.Value.MaxAppendBytes;
        if (Request.ContentLength > max)
        {
            throw new PayloadTooLargeException($"The message must be at most {max} bytes.");
        }

        if (HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max;
        }

        await using var upload = await MessageUpload.ReadAsync(Request.Body, max, cancellationToken);
        var flags = new AppendFlags(seen == true, flagged == true, draft == true);
        var result = await appender.AppendAsync(session, mailboxId, upload, flags, idempotencyKey, cancellationToken);
        var messageId = MessageIds.For(result.MailboxId, result.UidValidity, result.Summary.Uid);
        if (result.Replayed)
        {
            Response.Headers["Idempotent-Replayed"] = "true";
        }

        var location = Url.RouteUrl("getMessage", new { accountId = session.AccountId, messageId })
            ?? throw new InvalidOperationException("The message route is not registered.");
        return Created(location, MessageSummaryResponse.Create(result.MailboxId, result.UidValidity, result.Summary));
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

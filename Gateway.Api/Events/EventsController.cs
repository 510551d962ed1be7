using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Api.Auth;
using Gateway.Api.Problems;
using Gateway.Core.Push;
using Gateway.Core.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Events;

/// <summary>Push: an event stream of the account's mailbox changes.</summary>
[ApiController]
[Authorize]
[Route("api/v1/accounts/{accountId}/events")]
[Tags("Events")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, ProblemTypes.ContentType)]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ContentType)]
public sealed class EventsController(
    IEventBus bus,
    PushWatchers watchers,
    EventTickets tickets,
    IOptions<PushOptions> options) : ControllerBase
{
    private const int Backlog = 1024;
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Trades the bearer token for a single-use ticket to open the event stream from a browser.</summary>
    /// <remarks>Browsers' <c>EventSource</c> cannot send an <c>Authorization</c> header. Open
    /// <c>GET .../events?ticket=...</c> within <c>expiresAt</c> (60 s by default); the ticket works once (a
    /// reconnect needs a new one). Never put the bearer token itself in a URL.</remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <response code="201">The ticket.</response>
    [HttpPost("ticket", Name = "createEventTicket")]
    [ProducesResponseType<EventTicketResponse>(StatusCodes.Status201Created, "application/json")]
    public async Task<ActionResult<EventTicketResponse>> CreateTicket(string accountId, CancellationToken cancellationToken)
    {
        var session = HttpContext.GetAccountSession(accountId);
        var (ticket, expiresAt) = await tickets.IssueAsync(session, cancellationToken);
        Response.Headers.CacheControl = "no-store";
        return StatusCode(StatusCodes.Status201Created, new EventTicketResponse(ticket, expiresAt));
    }

    /// <summary>Streams the account's mailbox changes as Server-Sent Events.</summary>
    /// <remarks>
    /// <para>Authenticate with <c>Authorization: Bearer</c>, or with <c>?ticket=</c> from
    /// <c>POST .../events/ticket</c> (browsers). The stream sends:</para>
    /// <list type="bullet">
    /// <item><c>event: ready</c> once changes are being watched (changes made before it may not be reported);</item>
    /// <item><c>event: state</c> with <c>id:</c> and <c>data: {"mailboxes": {"&lt;mailboxId&gt;": "&lt;state&gt;"},
    /// "mailboxListChanged": false}</c>: the new state of each mailbox that changed. Pass a mailbox's old state to
    /// <c>.../mailboxes/{id}/changes</c> to learn what changed, or simply list it again;</item>
    /// <item><c>event: reset</c> when a reconnect's <c>Last-Event-ID</c> is older than the kept history: check every
    /// mailbox you show (with <c>/changes</c> from your saved states, which do not expire);</item>
    /// <item>a comment line every 30 s, to keep proxies from closing an idle stream.</item>
    /// </list>
    /// <para>Reconnect with <c>Last-Event-ID</c> (EventSource does it by itself), or <c>?lastEventId=</c> on a new
    /// stream, to receive every event you missed.
    /// One watcher per account serves all its streams, on every gateway instance.</para>
    /// </remarks>
    /// <param name="accountId"><c>me</c>, or the caller's own account id.</param>
    /// <param name="ticket">A ticket from <c>POST .../events/ticket</c>, instead of the Authorization header.</param>
    /// <param name="lastEventId">The id of the last event received, to resume after it: the same as the
    /// <c>Last-Event-ID</c> header (which wins when both are sent), for a browser that opens a new <c>EventSource</c>
    /// with a new ticket.</param>
    /// <param name="cancellationToken">Aborted when the client disconnects.</param>
    /// <response code="200">The event stream (<c>text/event-stream</c>), open until the client leaves.</response>
    [HttpGet(Name = "streamEvents")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/event-stream")]
    public async Task Stream(string accountId, [FromQuery] string? ticket, [FromQuery] string? lastEventId, CancellationToken cancellationToken)
    {
        _ = ticket; // read by the authentication handler; a parameter here so OpenAPI describes it
        var session = HttpContext.GetAccountSession(accountId);
        var header = Request.Headers["Last-Event-ID"].ToString();
        lastEventId = header.Length > 0 ? header : lastEventId ?? string.Empty;
        if (lastEventId.Length > 0 && !EventIds.TryParse(lastEventId, out _))
        {
            throw Core.Errors.RequestValidationException.For("Last-Event-ID", "Last-Event-ID (or lastEventId) is not an id this stream sent.");
        }

        var queue = Channel.CreateBounded<PushEvent>(new BoundedChannelOptions(Backlog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var overflowed = false;
        await using var attached = watchers.Attach(session);
        IAsyncDisposable subscription;
        try
        {
            subscription = await bus.SubscribeAsync(session.AccountId, e => overflowed |= !queue.Writer.TryWrite(e), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            throw new Core.Errors.UpstreamUnavailableException("The event bus (Redis) is unavailable.", TimeSpan.FromSeconds(5), ex);
        }

        await using var subscribed = subscription;
        Response.StatusCode = StatusCodes.Status200OK;
        Response.ContentType = "text/event-stream; charset=utf-8";
        Response.Headers.CacheControl = "no-cache, no-store";
        Response.Headers["X-Accel-Buffering"] = "no";
        HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = Response.Body;
        await WriteAsync(body, "retry: 2000\n: connected\n\n", cancellationToken);

        // Replay what the client missed; live events that arrive meanwhile are queued and deduplicated by id.
        var last = lastEventId.Length > 0 ? lastEventId : null;
        if (last is not null)
        {
            IReadOnlyList<PushEvent>? missed;
            try
            {
                missed = await bus.ReadAfterAsync(session.AccountId, last, cancellationToken);
            }
            catch (StoreUnavailableException)
            {
                missed = null;
            }

            if (missed is null)
            {
                await WriteAsync(body, "event: reset\ndata: {}\n\n", cancellationToken);
            }
            else
            {
                foreach (var e in missed)
                {
                    await WriteEventAsync(body, e, cancellationToken);
                    last = e.Id;
                }
            }
        }

        var ready = false;
        var readyBy = DateTime.UtcNow + ReadyWait;
        var keepAlive = options.Value.KeepAlive;
        var nextKeepAlive = DateTime.UtcNow + keepAlive;
        while (!cancellationToken.IsCancellationRequested && !overflowed)
        {
            if (!ready && (await watchers.IsWatchedAsync(session.AccountId, cancellationToken) || DateTime.UtcNow > readyBy))
            {
                ready = true;
                await WriteAsync(body, "event: ready\ndata: {}\n\n", cancellationToken);
            }

            var wait = ready ? nextKeepAlive - DateTime.UtcNow : TimeSpan.FromMilliseconds(50);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            try
            {
                await queue.Reader.WaitToReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (ready && DateTime.UtcNow >= nextKeepAlive)
                {
                    await WriteAsync(body, ": keep-alive\n\n", cancellationToken);
                    nextKeepAlive = DateTime.UtcNow + keepAlive;
                }

                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            while (queue.Reader.TryRead(out var e))
            {
                if (last is null || EventIds.IsAfter(e.Id, last))
                {
                    await WriteEventAsync(body, e, cancellationToken);
                    last = e.Id;
                }
            }

            nextKeepAlive = DateTime.UtcNow + keepAlive;
        }

        // On overflow the stream ends; the client reconnects with Last-Event-ID and replays from the log.
    }

    private static Task WriteEventAsync(Stream body, PushEvent e, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(new StateEventData(e.Mailboxes, e.MailboxListChanged), Json);
        return WriteAsync(body, $"id: {e.Id}\nevent: state\ndata: {data}\n\n", ct);
    }

    private static async Task WriteAsync(Stream body, string text, CancellationToken ct)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await body.FlushAsync(ct);
    }
}

/// <summary>A ticket to open the event stream once.</summary>
/// <param name="Ticket">Pass as <c>?ticket=</c> to <c>GET .../events</c>.</param>
/// <param name="ExpiresAt">After this instant the ticket no longer works.</param>
public sealed record EventTicketResponse(string Ticket, DateTimeOffset ExpiresAt);

/// <summary>The data of an <c>event: state</c>.</summary>
/// <param name="Mailboxes">Mailbox id → its new state.</param>
/// <param name="MailboxListChanged">True when mailboxes were created, renamed or deleted.</param>
public sealed record StateEventData(IReadOnlyDictionary<string, string> Mailboxes, bool MailboxListChanged);

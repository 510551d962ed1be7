using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Accounts;
using Gateway.Core.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Push;

/// <summary>
/// Short-lived, single-use tickets for the event stream. A browser's <c>EventSource</c> cannot send an
/// <c>Authorization</c> header, and a bearer token in a URL ends up in logs and history: the page trades its token for
/// a ticket (<c>POST .../events/ticket</c>) and opens the stream with <c>?ticket=</c>. A ticket names the session
/// (by its token's hash, never the token), lives <see cref="PushOptions.TicketLifetime"/>, works once, and is kept
/// only as its own hash in the shared store, so any instance can redeem it.
/// </summary>
public sealed class EventTickets(IKeyValueStore store, SessionService sessions, IOptions<PushOptions> options, TimeProvider time)
{
    /// <summary>A new ticket for <paramref name="session"/> and when it expires.</summary>
    public async Task<(string Ticket, DateTimeOffset ExpiresAt)> IssueAsync(AccountSession session, CancellationToken cancellationToken)
    {
        var ticket = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var lifetime = options.Value.TicketLifetime;
        await store.SetAsync(Key(ticket), Encoding.UTF8.GetBytes(session.TokenHash), lifetime, cancellationToken);
        return (ticket, time.GetUtcNow() + lifetime);
    }

    /// <summary>The session of <paramref name="ticket"/>, consuming it; null when it is unknown, expired, already used,
    /// or its session is gone.</summary>
    public async Task<AccountSession?> RedeemAsync(string ticket, CancellationToken cancellationToken)
    {
        if (ticket.Length != 43 || !ticket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return null;
        }

        var key = Key(ticket);
        var hash = await store.GetAsync(key, null, cancellationToken);

        // Whoever deletes it first used it; a second request with the same ticket finds nothing to delete.
        if (hash is null || !await store.DeleteAsync(key, cancellationToken))
        {
            return null;
        }

        return await sessions.ValidateHashAsync(Encoding.UTF8.GetString(hash), cancellationToken);
    }

    private static string Key(string ticket) =>
        "evticket:" + Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(ticket)));
}

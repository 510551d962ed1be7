using System.Diagnostics;
using System.Security.Cryptography;
using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Idempotency;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Core.Messages;

/// <summary>The system flags an appended message starts with.</summary>
public readonly record struct AppendFlags(bool Seen, bool Flagged, bool Draft)
{
    internal MailKit.MessageFlags ToImap() =>
        (Seen ? MailKit.MessageFlags.Seen : 0) | (Flagged ? MailKit.MessageFlags.Flagged : 0) | (Draft ? MailKit.MessageFlags.Draft : 0);
}

/// <summary>An appended message.</summary>
/// <param name="MailboxId">The mailbox it was appended to.</param>
/// <param name="UidValidity">The mailbox's UIDVALIDITY.</param>
/// <param name="Summary">Its summary, as listings show it, read right after the APPEND.</param>
/// <param name="Replayed">True when this is the stored answer of an earlier request with the same idempotency key.</param>
public sealed record AppendResult(string MailboxId, uint UidValidity, MessageSummary Summary, bool Replayed = false);

/// <summary>
/// APPEND: stores an uploaded message in a mailbox with the flags asked for, answers with its summary (UIDPLUS gives
/// the new UID), and brings the header cache up to it on the same connection, so the next listing of any instance shows
/// it. With an idempotency key, a retried request answers the first one's result instead of appending twice, even when
/// the connection died after the server stored the message but before the gateway saw the OK.
/// </summary>
/// <remarks>
/// <para>The APPEND is never retried by the pool (it is not idempotent by itself). With a key, the attempt (SHA-256 and
/// size of the bytes, UIDVALIDITY and UIDNEXT before the APPEND) is recorded before the APPEND is sent. A request that
/// finds an unfinished attempt looks for a message with that size and those bytes at UIDs from that UIDNEXT on before it
/// appends again.</para>
/// <para>Records are changed only by compare-and-set, so two requests (on any instances) never both run one key; a
/// request whose claim was taken over in the meantime stops before it appends.</para>
/// </remarks>
public sealed partial class MessageAppender(
    IImapSessionPool pool,
    MailboxService mailboxes,
    WriteCacheSync cacheSync,
    IIdempotencyStore records,
    IOptions<PoolOptions> poolOptions,
    TimeProvider time,
    ILogger<MessageAppender> logger)
{
    /// <summary>Candidates a retry reads in full (same size, UID from the attempt's UIDNEXT on) before giving up.</summary>
    private const int MaxCandidates = 16;

    /// <summary>Appends <paramref name="upload"/> to <paramref name="mailboxIdOrAlias"/>.</summary>
    /// <param name="session">The caller.</param>
    /// <param name="mailboxIdOrAlias">A mailbox id or role alias.</param>
    /// <param name="upload">The message, read and checked.</param>
    /// <param name="flags">Flags to set on it.</param>
    /// <param name="idempotencyKey">The caller's <c>Idempotency-Key</c> (validated), or null.</param>
    /// <param name="cancellationToken">Aborted with the request; an APPEND already started finishes (and is recorded).</param>
    /// <exception cref="MailboxNotFoundException">No such mailbox.</exception>
    /// <exception cref="ConflictException">The mailbox cannot hold messages.</exception>
    /// <exception cref="IdempotencyKeyReusedException">The key was used for another request.</exception>
    /// <exception cref="IdempotencyKeyInUseException">A request with the key is still running.</exception>
    /// <exception cref="OverQuotaException">The server said the account is over its quota.</exception>
    /// <exception cref="RequestValidationException">The server refused the message.</exception>
    public async Task<AppendResult> AppendAsync(
        AccountSession session, string mailboxIdOrAlias, MessageUpload upload, AppendFlags flags, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(upload);
        if (idempotencyKey is not null)
        {
            IdempotencyKeys.Validate(idempotencyKey);
        }

        var mailbox = await mailboxes.ResolveAsync(session, mailboxIdOrAlias, refresh: false, cancellationToken);
        for (var round = 0; ; round++)
        {
            if (!mailbox.Selectable)
            {
                throw new ConflictException($"Mailbox '{mailboxIdOrAlias}' cannot hold messages.");
            }

            var claim = idempotencyKey is null ? null : await ClaimAsync(session, mailbox, upload, flags, idempotencyKey, cancellationToken);
            if (claim is { Replay: { } replay })
            {
                return replay;
            }

            try
            {
                return await RunAsync(session, mailbox, upload, flags, claim, cancellationToken);
            }
            catch (MailboxVanishedException ex) when (round == 0)
            {
                // The cached name is stale (renamed or deleted elsewhere); nothing was appended. Resolve at the server.
                LogMailboxVanished(ex.Message);
                mailbox = await mailboxes.ResolveAsync(session, mailboxIdOrAlias, refresh: true, cancellationToken);
            }
            catch (MailboxVanishedException ex)
            {
                throw new MailboxNotFoundException($"Mailbox '{mailboxIdOrAlias}' does not exist: {ex.Message}");
            }
        }
    }

    private async Task<AppendResult> RunAsync(
        AccountSession session, MailboxRef mailbox, MessageUpload upload, AppendFlags flags, Claim? claim, CancellationToken cancellationToken)
    {
        var started = 0;
        try
        {
            // Not retryable: a dead connection must not make the pool send the APPEND a second time.
            return await pool.ExecuteAsync(
                session.Account,
                (lease, ct) =>
                {
                    Interlocked.Exchange(ref started, 1);
                    return AppendOnLeaseAsync(lease, mailbox, upload, flags, claim, ct);
                },
                new ImapOperationOptions(Mailbox: mailbox.Path, Retryable: false),
                cancellationToken);
        }
        catch (Exception) when (claim is not null && Volatile.Read(ref started) == 0)
        {
            // No connection was had: nothing was sent. (Once started, the operation settles its claim itself, also
            // after the caller went away.)
            await claim.ReleaseAsync(appendMaybeSent: false, CancellationToken.None);
            throw;
        }
    }

    private async Task<AppendResult> AppendOnLeaseAsync(
        ImapLease lease, MailboxRef mailbox, MessageUpload upload, AppendFlags flags, Claim? claim, CancellationToken ct)
    {
        var appendMaybeSent = false;
        try
        {
            var client = lease.Client;
            var before = await ImapMailbox.StatusAsync(lease, mailbox.Path, ct);
            var folder = await ImapMailbox.FolderAsync(client, mailbox.Path, ct);

            uint uid = 0;
            var uidValidity = before.UidValidity;
            if (claim?.Attempt is { } earlier && earlier.UidValidity == before.UidValidity && before.UidNext > earlier.UidNext)
            {
                uid = await FindAsync(folder, earlier, ct);
                if (uid != 0)
                {
                    LogEarlierAttemptFound(mailbox.Id, uid);
                }
            }

            if (uid == 0)
            {
                if (claim is not null)
                {
                    await claim.RecordAttemptAsync(new AppendAttempt(before.UidValidity, before.UidNext, upload.Length, upload.Sha256Hex), ct);
                }

                appendMaybeSent = true;
                UniqueId? appended;
                try
                {
                    appended = await folder.AppendAsync(new AppendRequest(upload.ToMimeMessage(), flags.ToImap()), ct);
                }
                catch (ImapCommandException ex)
                {
                    appendMaybeSent = false; // NO/BAD: the server stored nothing
                    throw Refused(ex, mailbox);
                }

                if (appended is { } a)
                {
                    uid = a.Id;
                    uidValidity = a.Validity != 0 ? a.Validity : uidValidity;
                }
            }

            // NOOP (and STATUS): this session sees the new message, and the state the cache is brought to.
            var after = await ImapMailbox.StatusAsync(lease, mailbox.Path, ct);
            if (uid == 0)
            {
                // No UIDPLUS: the message is the one with these bytes from the old UIDNEXT on.
                uid = await FindAsync(folder, new AppendAttempt(before.UidValidity, before.UidNext, upload.Length, upload.Sha256Hex), ct);
            }

            if (after.UidValidity != uidValidity)
            {
                throw new UidValidityChangedException("The mailbox was recreated while the message was appended.");
            }

            var summary = uid == 0 ? null : (await ImapMailbox.FetchSummariesAsync(client, folder, [new UniqueId(uid)], ct)).FirstOrDefault();
            if (summary is null)
            {
                throw new UpstreamProtocolException("The server accepted the message but does not show it.");
            }

            await cacheSync.AfterWriteAsync(lease, mailbox, after, ct);
            var result = new AppendResult(mailbox.Id, uidValidity, summary);
            if (claim is not null)
            {
                await claim.CompleteAsync(result, ct);
            }

            return result;
        }
        catch (Exception)
        {
            if (claim is not null)
            {
                await claim.ReleaseAsync(appendMaybeSent, CancellationToken.None);
            }

            throw;
        }
    }

    /// <summary>The UID of a message stored by an attempt: from its UIDNEXT on, the same size, the same SHA-256; 0 when
    /// there is none.</summary>
    private static async Task<uint> FindAsync(IMailFolder folder, AppendAttempt attempt, CancellationToken ct)
    {
        SearchQuery query = SearchQuery.Uids(ImapMailbox.From(attempt.UidNext));
        if (attempt.Size < int.MaxValue)
        {
            var size = (int)attempt.Size;
            query = query.And(SearchQuery.LargerThan(size - 1)).And(SearchQuery.SmallerThan(size + 1));
        }

        var found = await folder.SearchAsync(query, ct);
        foreach (var uid in found.Where(u => u.Id >= attempt.UidNext).OrderBy(u => u.Id).Take(MaxCandidates))
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var stream = await folder.GetStreamAsync(uid, string.Empty, ct))
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await stream.ReadAsync(buffer, ct)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                }
            }

            if (string.Equals(Convert.ToHexStringLower(sha.GetHashAndReset()), attempt.Sha256, StringComparison.Ordinal))
            {
                return uid.Id;
            }
        }

        return 0;
    }

    private static GatewayException Refused(ImapCommandException ex, MailboxRef mailbox)
    {
        var text = ex.ResponseText ?? string.Empty;
        if (text.Contains("quota", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("OVERQUOTA", StringComparison.Ordinal))
        {
            return new OverQuotaException("The account is over its quota: " + text, ex) { ImapCode = "OVERQUOTA" };
        }

        if (ex.Message.Contains("TRYCREATE", StringComparison.Ordinal))
        {
            throw new MailboxVanishedException($"APPEND to '{mailbox.Path}' was refused: {text}", ex);
        }

        return new RequestValidationException("The IMAP server refused the message: " + text);
    }

    private IIdempotencyStore Records => records;

    private TimeSpan LeaseDuration => poolOptions.Value.AcquireTimeout + poolOptions.Value.OperationTimeout + TimeSpan.FromSeconds(30);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: a retried APPEND found the earlier attempt's message at UID {Uid}")]
    private partial void LogEarlierAttemptFound(string mailboxId, uint uid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "APPEND target vanished, resolving again: {Reason}")]
    private partial void LogMailboxVanished(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Idempotency record of an APPEND could not be updated ({Step})")]
    private partial void LogRecordNotUpdated(Exception? exception, string step);
}

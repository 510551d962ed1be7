using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Core.Accounts;
using Gateway.Core.Idempotency;
using Gateway.Core.Mailboxes;
using Gateway.Core.Storage;

namespace Gateway.Core.Messages;

/// <summary>One APPEND attempt, recorded before the APPEND is sent.</summary>
/// <param name="UidValidity">The mailbox's UIDVALIDITY then.</param>
/// <param name="UidNext">Its UIDNEXT then: the message, if stored, has a UID at or above it.</param>
/// <param name="Size">Bytes sent (the server's RFC822.SIZE of the stored message).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes sent.</param>
internal sealed record AppendAttempt(uint UidValidity, uint UidNext, long Size, string Sha256);

/// <summary>The record of one idempotency key: which request it belongs to, who runs it, what was tried, the answer.</summary>
/// <param name="Fingerprint">SHA-256 over the mailbox id, the flags and the message's SHA-256.</param>
/// <param name="Owner">The request running it now; null when none is.</param>
/// <param name="LeaseUntil">Until when <paramref name="Owner"/> may run it (after that, it is presumed dead).</param>
/// <param name="Attempt">The last APPEND sent, if any.</param>
/// <param name="Result">The answer, once there is one.</param>
internal sealed record AppendRecord(string Fingerprint, string? Owner, DateTimeOffset LeaseUntil, AppendAttempt? Attempt, AppendResult? Result);

/// <content>Idempotency keys: claiming a key, recording the attempt, settling the key.</content>
public sealed partial class MessageAppender
{
    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.General);

    /// <summary>Claims the key for this request, or answers from its record.</summary>
    private async Task<Claim> ClaimAsync(AccountSession session, MailboxRef mailbox, MessageUpload upload, AppendFlags flags, string key, CancellationToken ct)
    {
        var storeKey = IdempotencyKeys.StoreKey("append", session.AccountId, key);
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"append\n{mailbox.Id}\n{(int)flags.ToImap()}\n{upload.Sha256Hex}")));
        var owner = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 8; i++)
        {
            var bytes = await records.GetAsync(storeKey, ct);
            var now = time.GetUtcNow();
            if (bytes is null)
            {
                var fresh = new AppendRecord(fingerprint, owner, now + LeaseDuration, null, null);
                var freshBytes = Serialize(fresh);
                if (await records.TryAddAsync(storeKey, freshBytes, IdempotencyKeys.Lifetime, ct))
                {
                    return new Claim(this, storeKey, freshBytes, fresh);
                }

                continue;
            }

            var record = Deserialize(bytes);
            if (record is null || !string.Equals(record.Fingerprint, fingerprint, StringComparison.Ordinal))
            {
                throw new IdempotencyKeyReusedException(
                    $"This {IdempotencyKeys.HeaderName} was already used for a different request (another message, mailbox or flags); use a new key.");
            }

            if (record.Result is { } result)
            {
                return new Claim(this, storeKey, bytes, record) { Replay = result with { Replayed = true } };
            }

            if (record.Owner is not null && record.LeaseUntil > now)
            {
                throw new IdempotencyKeyInUseException(
                    $"A request with this {IdempotencyKeys.HeaderName} is still running; retry shortly.", TimeSpan.FromSeconds(1));
            }

            // Nobody runs it (the last try failed, or its instance died): take it over, with what was tried.
            var taken = record with { Owner = owner, LeaseUntil = now + LeaseDuration };
            var takenBytes = Serialize(taken);
            if (await records.TryReplaceAsync(storeKey, bytes, takenBytes, IdempotencyKeys.Lifetime, ct))
            {
                return new Claim(this, storeKey, takenBytes, taken);
            }
        }

        throw new IdempotencyKeyInUseException($"Requests with this {IdempotencyKeys.HeaderName} are racing; retry shortly.", TimeSpan.FromSeconds(1));
    }

    private static byte[] Serialize(AppendRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, RecordJson);

    private static AppendRecord? Deserialize(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize<AppendRecord>(bytes, RecordJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>This request's hold on one key. Every change is a compare-and-set against the bytes it last wrote, so a
    /// request that lost the key (its lease ran out and another took over) can change nothing.</summary>
    private sealed class Claim(MessageAppender owner, string storeKey, byte[] bytes, AppendRecord record)
    {
        private byte[] _bytes = bytes;
        private AppendRecord _record = record;

        /// <summary>The stored answer, when the key's request already completed.</summary>
        public AppendResult? Replay { get; init; }

        /// <summary>The last APPEND sent for this key, if any.</summary>
        public AppendAttempt? Attempt => _record.Attempt;

        /// <summary>Records the APPEND about to be sent; throws (and nothing is sent) when the key was lost.</summary>
        public async Task RecordAttemptAsync(AppendAttempt attempt, CancellationToken ct)
        {
            if (!await TryWriteAsync(_record with { Attempt = attempt }, ct))
            {
                throw new IdempotencyKeyInUseException(
                    $"Another request took over this {IdempotencyKeys.HeaderName}; retry shortly.", TimeSpan.FromSeconds(1));
            }
        }

        /// <summary>Stores the answer. A store failure is logged: a retry then finds the message by its attempt.</summary>
        public async Task CompleteAsync(AppendResult result, CancellationToken ct)
        {
            try
            {
                if (!await TryWriteAsync(_record with { Owner = null, Result = result }, ct))
                {
                    owner.LogRecordNotUpdated(null, "complete: the key was taken over");
                }
            }
            catch (StoreUnavailableException ex)
            {
                owner.LogRecordNotUpdated(ex, "complete");
            }
        }

        /// <summary>Lets the key go after a failure: removed when nothing can have been stored under it, else kept with
        /// its attempt and no owner, for the retry to look for the message.</summary>
        public async Task ReleaseAsync(bool appendMaybeSent, CancellationToken ct)
        {
            try
            {
                if (!appendMaybeSent && _record.Attempt is null)
                {
                    await owner.Records.TryDeleteAsync(storeKey, _bytes, ct);
                }
                else
                {
                    await TryWriteAsync(_record with { Owner = null }, ct);
                }
            }
            catch (StoreUnavailableException ex)
            {
                // The lease runs out by itself; a retry before that is told to wait.
                owner.LogRecordNotUpdated(ex, "release");
            }
        }

        private async Task<bool> TryWriteAsync(AppendRecord next, CancellationToken ct)
        {
            var nextBytes = Serialize(next);
            if (!await owner.Records.TryReplaceAsync(storeKey, _bytes, nextBytes, IdempotencyKeys.Lifetime, ct))
            {
                return false;
            }

            _bytes = nextBytes;
            _record = next;
            return true;
        }
    }
}

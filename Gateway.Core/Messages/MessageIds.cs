using System.Buffers.Binary;
using System.Buffers.Text;

namespace Gateway.Core.Messages;

/// <summary>Where one message lives: a mailbox, a UIDVALIDITY of that mailbox, and a UID under it.</summary>
/// <param name="MailboxId">The mailbox's opaque id (see <see cref="Mailboxes.MailboxIds"/>).</param>
/// <param name="UidValidity">The mailbox's UIDVALIDITY when the id was made.</param>
/// <param name="Uid">The message's UID.</param>
public readonly record struct MessageRef(string MailboxId, uint UidValidity, uint Uid);

/// <summary>
/// Message ids: 32 URL-safe characters encoding the mailbox id's 16 bytes, the UIDVALIDITY and the UID. An id names one
/// message in one mailbox under one UIDVALIDITY, so after UIDVALIDITY changes an old id can be told apart (410), and an
/// id of one account never resolves in another (the mailbox id is a hash that includes the account).
/// </summary>
public static class MessageIds
{
    /// <summary>Base64url decoding that answers false for any malformed input (the BCL throws on some).</summary>
    internal static class Base64
    {
        public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
        {
            written = 0;
            foreach (var c in text)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
                {
                    return false;
                }
            }

            if (text.Length % 4 == 1 || Base64Url.GetMaxDecodedLength(text.Length) > destination.Length)
            {
                return false;
            }

            try
            {
                return Base64Url.TryDecodeFromChars(text, destination, out written);
            }
            catch (FormatException)
            {
                return false;
            }
        }
    }

    private const int MailboxIdBytes = 16;
    private const int Bytes = MailboxIdBytes + 8;

    /// <summary>Length of every message id.</summary>
    public const int Length = 32;

    public static string For(string mailboxId, uint uidValidity, uint uid)
    {
        Span<byte> raw = stackalloc byte[Bytes];
        if (Base64Url.DecodeFromChars(mailboxId, raw[..MailboxIdBytes]) != MailboxIdBytes)
        {
            throw new ArgumentException("Not a mailbox id.", nameof(mailboxId));
        }

        BinaryPrimitives.WriteUInt32BigEndian(raw[MailboxIdBytes..], uidValidity);
        BinaryPrimitives.WriteUInt32BigEndian(raw[(MailboxIdBytes + 4)..], uid);
        return Base64Url.EncodeToString(raw);
    }

    public static string For(MessageRef message) => For(message.MailboxId, message.UidValidity, message.Uid);

    /// <summary>Decodes an id; false when it is not one this gateway could have made (answer 400).</summary>
    public static bool TryParse(string? id, out MessageRef message)
    {
        message = default;
        if (id is not { Length: Length })
        {
            return false;
        }

        Span<byte> raw = stackalloc byte[Bytes];
        if (!Base64.TryDecode(id, raw, out var written) || written != Bytes)
        {
            return false;
        }

        var uid = BinaryPrimitives.ReadUInt32BigEndian(raw[(MailboxIdBytes + 4)..]);
        var uidValidity = BinaryPrimitives.ReadUInt32BigEndian(raw[MailboxIdBytes..]);
        if (uid == 0 || uidValidity == 0)
        {
            return false;
        }

        // Re-encode so that only the canonical spelling is accepted (base64url has unused trailing bits).
        var mailboxId = Base64Url.EncodeToString(raw[..MailboxIdBytes]);
        if (!string.Equals(For(mailboxId, uidValidity, uid), id, StringComparison.Ordinal))
        {
            return false;
        }

        message = new MessageRef(mailboxId, uidValidity, uid);
        return true;
    }
}

using Gateway.Core.Accounts;
using Gateway.Core.Errors;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.IO;

namespace Gateway.Core.Messages;

/// <summary>
/// Reads single messages: the parsed message resource, the raw bytes, and one attachment decoded. Mailboxes are opened
/// read-only (EXAMINE) and every fetch is a <c>BODY.PEEK</c>, so reading never sets <c>\Seen</c>.
/// </summary>
/// <remarks>
/// <para>Message bytes are fetched in chunks of <see cref="ChunkSize"/> (<c>BODY.PEEK[part]&lt;offset.count&gt;</c>),
/// each chunk on a pooled connection leased only for that chunk, so a slow client never holds a connection and at most
/// one chunk of a message is in memory. The server's BINARY extension is not used because MailKit has no partial
/// <c>BINARY.PEEK</c>; the chunks are decoded here with MimeKit's decoders, which keep their state across chunks.</para>
/// <para>A message id names a mailbox (by id), its UIDVALIDITY and a UID. Unknown mailbox or UID: 404
/// (<see cref="Errors.MessageNotFoundException"/>); same mailbox with another UIDVALIDITY: 410
/// (<see cref="UidValidityChangedException"/>). When opening the mailbox fails because it vanished since the mailbox
/// directory was cached, the directory is refreshed once.</para>
/// </remarks>
public sealed partial class MessageReader(IImapSessionPool pool, MailboxService mailboxes, ILogger<MessageReader> logger)
{
    /// <summary>Bytes per <c>BODY.PEEK[...]&lt;offset.count&gt;</c> fetch.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Messages up to this size are parsed from memory; larger ones from a temporary file.</summary>
    public const int InMemorySpoolLimit = 4 * 1024 * 1024;

    /// <summary>The message resource: summary, headers, text and sanitized HTML, attachments.</summary>
    /// <param name="session">The caller.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="options">HTML options and the attachment URL builder.</param>
    /// <param name="cancellationToken">Aborted with the request; never handed to MailKit (the pool keeps the connection).</param>
    /// <exception cref="RequestValidationException">The id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such mailbox or message.</exception>
    /// <exception cref="UidValidityChangedException">The mailbox was recreated since the id was made.</exception>
    public async Task<MessageContent> GetAsync(AccountSession session, string messageId, MessageReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var reference = ParseMessageId(messageId);
        var location = await LocateAsync(session, reference, cancellationToken);

        // Flags, dates and size from IMAP; everything else from the parsed message. No ENVELOPE: MailKit refuses an
        // ENVELOPE holding a string over 4 KB (a long Subject is enough) and drops the connection. The first chunk of
        // the bytes comes on the same lease: most messages are one chunk, so a read waits for a connection once.
        var (fetched, first) = await RunAsync(location, async (lease, folder, ct) =>
        {
            var items = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size;
            if (lease.Client.Capabilities.HasFlag(ImapCapabilities.CondStore))
            {
                items |= MessageSummaryItems.ModSeq;
            }

            if (lease.Client.Capabilities.HasFlag(ImapCapabilities.Preview))
            {
                items |= MessageSummaryItems.PreviewText;
            }

            var uid = new UniqueId(reference.Uid);
            var list = await folder.FetchAsync([uid], items, ct);
            var summary = list.FirstOrDefault(m => m.UniqueId.Id == reference.Uid && m.Flags is not null && m.InternalDate is not null);
            return summary is null ? (null, null) : (summary, await folder.GetStreamAsync(uid, 0, ChunkSize, ct));
        }, cancellationToken);
        if (fetched is null || first is null)
        {
            throw NotFound();
        }

        await using var spool = CreateSpool(fetched.Size ?? 0);
        await using (first)
        {
            await first.CopyToAsync(spool, cancellationToken);
            if (first.Length == ChunkSize)
            {
                await ReadChunksAsync(location, string.Empty, ChunkSize, (chunk, ct) => chunk.CopyToAsync(spool, ct), cancellationToken);
            }
        }

        using var message = await MessageParser.LoadAsync(spool, cancellationToken);
        return await BuildAsync(location, fetched, message, options, cancellationToken);
    }

    /// <summary>The message exactly as the server holds it (<c>BODY.PEEK[]</c>), ready to stream.</summary>
    /// <exception cref="RequestValidationException">The id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such mailbox or message.</exception>
    /// <exception cref="UidValidityChangedException">The mailbox was recreated since the id was made.</exception>
    public async Task<MessageDownload> GetRawAsync(AccountSession session, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var reference = ParseMessageId(messageId);
        var location = await LocateAsync(session, reference, cancellationToken);

        // The first chunk is read now, so a missing message is a 404 before any header is sent.
        var first = await RunAsync(location, (_, folder, ct) => folder.GetStreamAsync(new UniqueId(reference.Uid), 0, ChunkSize, ct), cancellationToken);
        return new MessageDownload("message/rfc822", messageId + ".eml", async (destination, ct) =>
        {
            await using (first)
            {
                await first.CopyToAsync(destination, ct);
                if (first.Length < ChunkSize)
                {
                    return;
                }
            }

            await ReadChunksAsync(location, string.Empty, ChunkSize, (chunk, token) => chunk.CopyToAsync(destination, token), ct);
        });
    }

    /// <summary>One part of a message, decoded, ready to stream.</summary>
    /// <param name="session">The caller.</param>
    /// <param name="messageId">A message id.</param>
    /// <param name="attachmentId">An attachment id from the message resource.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <exception cref="RequestValidationException">An id is malformed.</exception>
    /// <exception cref="Errors.MessageNotFoundException">No such mailbox, message or part.</exception>
    /// <exception cref="UidValidityChangedException">The mailbox was recreated since the id was made.</exception>
    public async Task<MessageDownload> GetAttachmentAsync(AccountSession session, string messageId, string attachmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var reference = ParseMessageId(messageId);
        if (!AttachmentIds.TryParse(attachmentId, out var specifier))
        {
            throw RequestValidationException.For("attachmentId", "Not an attachment id of this gateway.");
        }

        var location = await LocateAsync(session, reference, cancellationToken);
        var (leaf, headers) = await RunAsync(location, async (_, folder, ct) =>
        {
            var uid = new UniqueId(reference.Uid);
            var fetched = await folder.FetchAsync([uid], MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure, ct);
            var message = fetched.FirstOrDefault(m => m.UniqueId.Id == reference.Uid) ?? throw NotFound();
            var part = MessageParts.Find(message.Body, specifier)
                ?? throw new Errors.MessageNotFoundException($"The message has no attachment '{attachmentId}'.");

            // The part's own header, parsed by MimeKit as the message resource parses it (BODYSTRUCTURE parameters are
            // decoded differently by MailKit, e.g. raw 8-bit file names).
            await using var mime = await folder.GetStreamAsync(uid, specifier + ".MIME", ct);
            return (part, await PartHeaders.LoadAsync(mime, ct));
        }, cancellationToken);

        var description = PartHeaders.Describe(leaf, headers);
        return new MessageDownload(description.ContentType, description.FileName, (destination, ct) =>
            ReadChunksAsync(location, specifier, null, DecodingWriter(description.Encoding, destination), ct));
    }

    private static MessageRef ParseMessageId(string? messageId) =>
        MessageIds.TryParse(messageId, out var reference)
            ? reference
            : throw RequestValidationException.For("messageId", "Not a message id of this gateway.");

    private async Task<Location> LocateAsync(AccountSession session, MessageRef reference, CancellationToken cancellationToken) =>
        new(session, reference, await ResolveAsync(session, reference.MailboxId, refresh: false, cancellationToken));

    private async Task<MailboxRef> ResolveAsync(AccountSession session, string mailboxId, bool refresh, CancellationToken cancellationToken)
    {
        MailboxRef mailbox;
        try
        {
            mailbox = await mailboxes.ResolveAsync(session, mailboxId, refresh, cancellationToken);
        }
        catch (MailboxNotFoundException)
        {
            throw NotFound();
        }

        return mailbox.Selectable ? mailbox : throw NotFound();
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection with the message's mailbox open read-only and
    /// its UIDVALIDITY checked; a vanished mailbox is looked up once more, then 404.</summary>
    private async Task<T> RunAsync<T>(Location location, Func<ImapLease, IMailFolder, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var mailbox = location.Mailbox;
        for (var attempt = 0; ; attempt++)
        {
            var path = mailbox.Path;
            try
            {
                return await pool.ExecuteAsync(location.Session.Account, async (lease, ct) =>
                {
                    IMailFolder folder;
                    try
                    {
                        folder = await lease.OpenMailboxAsync(path, FolderAccess.ReadOnly, ct);
                    }
                    catch (FolderNotFoundException ex)
                    {
                        throw new MailboxVanishedException(ex);
                    }
                    catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
                    {
                        throw new MailboxVanishedException(ex);
                    }

                    if (folder.UidValidity != location.Reference.UidValidity)
                    {
                        throw new UidValidityChangedException(
                            "The mailbox was recreated (its UIDVALIDITY changed); this message id is no longer valid.");
                    }

                    try
                    {
                        return await operation(lease, folder, ct);
                    }
                    catch (MailKit.MessageNotFoundException)
                    {
                        throw NotFound();
                    }
                    catch (ImapCommandException ex) when (ex.Response == ImapCommandResponse.No)
                    {
                        // e.g. Dovecot's "NO [EXPUNGEISSUED]" for a message expunged by another session.
                        throw NotFound();
                    }
                }, new ImapOperationOptions(Mailbox: path), cancellationToken);
            }
            catch (MailboxVanishedException) when (attempt == 0)
            {
                LogMailboxVanished(location.Session.AccountId);
                mailbox = await ResolveAsync(location.Session, location.Reference.MailboxId, refresh: true, cancellationToken);
            }
            catch (MailboxVanishedException)
            {
                throw NotFound();
            }
        }
    }

    /// <summary>Fetches <paramref name="section"/> (<c>""</c> for the whole message) chunk by chunk from
    /// <paramref name="startAt"/> and hands each chunk to <paramref name="consume"/> before fetching the next.</summary>
    private async Task ReadChunksAsync(
        Location location, string section, long? startAt, Func<Stream, CancellationToken, Task> consume, CancellationToken cancellationToken)
    {
        var uid = new UniqueId(location.Reference.Uid);
        var offset = startAt ?? 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (offset > int.MaxValue - ChunkSize)
            {
                throw new UpstreamProtocolException("The message is too large to read through IMAP partial fetches.");
            }

            var at = (int)offset;

            // The chunk is a detached in-memory stream: it stays valid after the lease is returned.
            var chunk = await RunAsync(location, (_, folder, ct) => section.Length == 0
                ? folder.GetStreamAsync(uid, at, ChunkSize, ct)
                : folder.GetStreamAsync(uid, section, at, ChunkSize, ct), cancellationToken);
            await using (chunk)
            {
                var length = chunk.Length;
                if (length > 0)
                {
                    await consume(chunk, cancellationToken);
                }

                offset += length;
                if (length < ChunkSize)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A chunk consumer that decodes the content transfer encoding (base64, quoted-printable, uuencode) and
    /// writes the result; the decoder keeps its state from chunk to chunk.</summary>
    private static Func<Stream, CancellationToken, Task> DecodingWriter(ContentEncoding encoding, Stream destination)
    {
        var decoder = PartHeaders.DecoderFor(encoding);
        if (decoder is null)
        {
            return (chunk, ct) => chunk.CopyToAsync(destination, ct);
        }

        return async (chunk, ct) =>
        {
            const int BlockSize = 64 * 1024;
            var input = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockSize);
            var output = System.Buffers.ArrayPool<byte>.Shared.Rent(decoder.EstimateOutputLength(BlockSize));
            try
            {
                int read;
                while ((read = await chunk.ReadAsync(input.AsMemory(0, BlockSize), ct)) > 0)
                {
                    var decoded = decoder.Decode(input, 0, read, output);
                    await destination.WriteAsync(output.AsMemory(0, decoded), ct);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(input);
                System.Buffers.ArrayPool<byte>.Shared.Return(output);
            }
        };
    }

    private static Stream CreateSpool(long size)
    {
        if (size <= InMemorySpoolLimit)
        {
            return new MemoryStream((int)Math.Max(size, 0));
        }

        // Large messages are parsed from disk (MimeKit reads parts from the file on demand), readable only by us.
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(Path.Combine(Path.GetTempPath(), "imap-gateway-" + Guid.NewGuid().ToString("N") + ".eml"), options);
    }

    private static async Task<MessageContent> BuildAsync(
        Location location, IMessageSummary fetched, MimeMessage message, MessageReadOptions options, CancellationToken cancellationToken)
    {
        var specifiers = new Dictionary<MimeEntity, string>(ReferenceEqualityComparer.Instance);
        var attachments = new List<MessageAttachment>();
        var byContentId = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var leaf in MessageParts.Leaves(message))
        {
            specifiers[leaf.Part] = leaf.Specifier;
            if (!AttachmentRules.IsAttachment(leaf.Part))
            {
                continue;
            }

            var id = AttachmentIds.For(leaf.Specifier);
            var contentId = string.IsNullOrWhiteSpace(leaf.Part.ContentId) ? null : leaf.Part.ContentId.Trim().Trim('<', '>');
            attachments.Add(new MessageAttachment(
                id,
                AttachmentRules.FileName(leaf.Part),
                PartHeaders.MediaType(leaf.Part.ContentType),
                await DecodedSizeAsync(leaf.Part, cancellationToken),
                leaf.Part.ContentDisposition?.Disposition?.Trim().ToLowerInvariant() is { Length: > 0 } d ? d : null,
                contentId));
            if (contentId is not null)
            {
                byContentId.TryAdd(contentId, id);
            }
        }

        var attachmentIds = attachments.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        string? ResolveContentId(string cid)
        {
            if (byContentId.TryGetValue(cid, out var id))
            {
                return options.AttachmentUrl(id);
            }

            var loose = byContentId.FirstOrDefault(p => string.Equals(p.Key, cid, StringComparison.OrdinalIgnoreCase));
            return loose.Value is null ? null : options.AttachmentUrl(loose.Value);
        }

        string? ResolvePart(string specifier) =>
            specifier.Length > 0 && attachmentIds.Contains(AttachmentIds.For(specifier)) ? options.AttachmentUrl(AttachmentIds.For(specifier)) : null;

        var bodies = MessageBodies.Select(message);
        var rawHtml = bodies.RawHtml(part =>
            !string.IsNullOrWhiteSpace(part.ContentId) ? "cid:" + part.ContentId.Trim().Trim('<', '>')
            : specifiers.TryGetValue(part, out var s) ? MessageHtmlSanitizer.PartScheme + ":" + s
            : null);
        var html = rawHtml is null
            ? null
            : MessageHtmlSanitizer.Sanitize(rawHtml, new HtmlSanitizingOptions(options.AllowRemote, ResolveContentId, ResolvePart));

        var text = bodies.Text;
        var summary = new MessageSummary(
            location.Reference.Uid,
            fetched.ModSeq ?? 0,
            SummaryFetch.MapFlags(fetched.Flags!.Value),
            SummaryFetch.Keywords(fetched.Keywords),
            fetched.InternalDate!.Value.ToUniversalTime(),
            DateOf(message),
            fetched.Size ?? 0,
            attachments.Count > 0,
            message.Subject,
            SummaryFetch.Addresses(message.From),
            SummaryFetch.Addresses(message.To),
            SummaryFetch.Addresses(message.Cc),
            SummaryFetch.Addresses(message.ReplyTo),
            SummaryFetch.StripBrackets(message.MessageId),
            SummaryFetch.StripBrackets(message.InReplyTo),
            SummaryFetch.Preview(fetched.PreviewText) ?? Preview(text));
        return new MessageContent(
            location.Reference.MailboxId,
            location.Reference.UidValidity,
            summary,
            SummaryFetch.Addresses(message.Bcc),
            message.References.ToList(),
            HeadersOf(message),
            text,
            html,
            attachments);
    }

    /// <summary>Every header of the message's header block, in order. MimeKit files the Content-* fields under the body
    /// entity; the parser's stream offsets put them back in place.</summary>
    private static List<MessageHeader> HeadersOf(MimeMessage message)
    {
        var all = message.Headers.Select((h, i) => (Header: h, List: 0, Index: i));
        if (message.Body is { } body)
        {
            all = all.Concat(body.Headers.Select((h, i) => (Header: h, List: 1, Index: i)));
        }

        return all
            .OrderBy(x => x.Header.Offset ?? long.MaxValue).ThenBy(x => x.List).ThenBy(x => x.Index)
            .Select(x => new MessageHeader(x.Header.Field, (x.Header.Value ?? string.Empty).Trim()))
            .ToList();
    }

    private static DateTimeOffset? DateOf(MimeMessage message) =>
        message.Headers[HeaderId.Date] is { } value && MimeKit.Utils.DateUtils.TryParse(value, out var date) ? date.ToUniversalTime() : null;

    /// <summary>A preview from the body text when the server computes none: white space collapsed, cut as listings cut.</summary>
    private static string? Preview(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var collapsed = string.Join(' ', text.Split((char[]?)null, SummaryFetch.PreviewLength + 1, StringSplitOptions.RemoveEmptyEntries));
        return SummaryFetch.Preview(collapsed.Length > SummaryFetch.PreviewLength * 2 ? collapsed[..(SummaryFetch.PreviewLength * 2)] : collapsed);
    }

    private static async Task<long> DecodedSizeAsync(MimeEntity entity, CancellationToken cancellationToken)
    {
        if (entity is not MimePart { Content: { } content })
        {
            return 0;
        }

        using var measure = new MeasuringStream();
        await content.DecodeToAsync(measure, cancellationToken);
        return measure.Length;
    }

    private static Errors.MessageNotFoundException NotFound() => new("The message does not exist.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "A mailbox of account {AccountId} vanished since it was cached; looking it up again")]
    private partial void LogMailboxVanished(string accountId);

    private sealed record Location(AccountSession Session, MessageRef Reference, MailboxRef Mailbox);

    /// <summary>Opening the mailbox failed because it does not exist (any more).</summary>
    private sealed class MailboxVanishedException(Exception inner) : Exception("The mailbox does not exist.", inner);
}

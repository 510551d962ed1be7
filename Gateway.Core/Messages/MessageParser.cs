using MimeKit;
using MimeKit.IO;

namespace Gateway.Core.Messages;

/// <summary>
/// Parses a message as the server holds it with MimeKit, and never gives up: what MimeKit's parser refuses is read the
/// way Python's <c>email</c> package reads it.
/// </summary>
/// <remarks>
/// MimeKit throws <see cref="FormatException"/> when a message does not start with a header. Two shapes of that occur in
/// real mail: (1) leading lines that start with white space (a continuation line with nothing to continue, e.g. a line
/// of spaces before the headers): they are skipped, as Python does; (2) no header at all (the first line is not a
/// header): then the whole input is the body of a message without headers, <c>text/plain</c> by default.
/// </remarks>
public static class MessageParser
{
    private const int MaxSkippedPrefix = 64 * 1024;

    /// <summary>Parses <paramref name="stream"/> (seekable, positioned anywhere; it must stay open while the result is
    /// used, since large parts are read from it on demand).</summary>
    public static async Task<MimeMessage> LoadAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable.", nameof(stream));
        }

        stream.Position = 0;
        try
        {
            return await MimeMessage.LoadAsync(ParserOptions.Default, stream, persistent: true, cancellationToken);
        }
        catch (FormatException)
        {
        }

        var skip = await LeadingContinuationLinesAsync(stream, cancellationToken);
        if (skip > 0 && skip < stream.Length)
        {
            try
            {
                var rest = new BoundStream(stream, skip, -1, leaveOpen: true);
                return await MimeMessage.LoadAsync(ParserOptions.Default, rest, persistent: true, cancellationToken);
            }
            catch (FormatException)
            {
            }
        }

        // No header block: an empty header block, then everything as the body.
        var chained = new ChainedStream();
        chained.Add(new MemoryStream("\r\n"u8.ToArray(), writable: false), leaveOpen: false);
        chained.Add(new BoundStream(stream, 0, -1, leaveOpen: true), leaveOpen: false);
        return await MimeMessage.LoadAsync(ParserOptions.Default, chained, persistent: false, cancellationToken);
    }

    /// <summary>The length of the leading lines that start with a space or tab (at most <see cref="MaxSkippedPrefix"/>).</summary>
    private static async Task<long> LeadingContinuationLinesAsync(Stream stream, CancellationToken cancellationToken)
    {
        stream.Position = 0;
        var buffer = new byte[(int)Math.Min(MaxSkippedPrefix, stream.Length)];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        var position = 0;
        while (position < length && buffer[position] is (byte)' ' or (byte)'\t')
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', position, length - position);
            if (newline < 0)
            {
                return 0;
            }

            position = newline + 1;
        }

        return position;
    }
}

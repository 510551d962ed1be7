using System.Buffers;
using System.Security.Cryptography;
using Gateway.Core.Errors;
using MimeKit;

namespace Gateway.Core.Messages;

/// <summary>
/// An uploaded message, read to the end before anything is sent upstream (an APPEND literal needs its length first,
/// and a partial APPEND must never reach the server): bare LF made CRLF (IMAP messages have CRLF lines), the size
/// limit enforced while reading, SHA-256 computed on the way, kept in memory up to 4 MiB and in a temporary file
/// readable only by the process beyond. Dispose it.
/// </summary>
/// <remarks>
/// What is appended is exactly <see cref="Length"/> bytes hashing to <see cref="Sha256"/>: the body as sent, with bare
/// LF made CRLF, and, for a message that is all header (no empty line), the empty line that ends a header added.
/// </remarks>
public sealed class MessageUpload : IAsyncDisposable, IDisposable
{
    private const int MemoryLimit = 4 * 1024 * 1024;

    /// <summary>The header block is handed to MimeKit as one raw value, so it must fit in memory.</summary>
    private const int MaxHeaderBytes = 1024 * 1024;

    private Stream _spool;
    private int _disposed;

    private MessageUpload(Stream spool, long length, byte[] sha256, byte[] firstField, byte[] headerValue, long bodyStart)
    {
        _spool = spool;
        Length = length;
        Sha256 = sha256;
        FirstField = firstField;
        HeaderValue = headerValue;
        BodyStart = bodyStart;
    }

    /// <summary>Bytes appended.</summary>
    public long Length { get; }

    /// <summary>SHA-256 of the bytes appended.</summary>
    public byte[] Sha256 { get; }

    /// <summary>Lower-case hex of <see cref="Sha256"/>.</summary>
    public string Sha256Hex => Convert.ToHexStringLower(Sha256);

    /// <summary>The first header field's name (the bytes before the first colon).</summary>
    internal byte[] FirstField { get; }

    /// <summary>Everything after the first colon up to and including the CRLF that ends the header block's last line.</summary>
    internal byte[] HeaderValue { get; }

    /// <summary>Offset of the body: right after the empty line; <see cref="Length"/> when there is no body.</summary>
    internal long BodyStart { get; }

    /// <summary>Reads <paramref name="body"/> to its end.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="maxBytes">The most bytes accepted from <paramref name="body"/>.</param>
    /// <param name="cancellationToken">Aborted with the request.</param>
    /// <exception cref="PayloadTooLargeException">More than <paramref name="maxBytes"/> bytes.</exception>
    /// <exception cref="RequestValidationException">Empty, holds NUL bytes, does not start with a header field, or
    /// MimeKit cannot parse it.</exception>
    public static async Task<MessageUpload> ReadAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        Stream spool = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var output = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var scanner = new HeaderScanner();
            long read = 0;
            long written = 0;
            var previous = (byte)0;
            var nul = false;
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                read += n;
                if (read > maxBytes)
                {
                    throw new PayloadTooLargeException($"The message must be at most {maxBytes} bytes.");
                }

                var o = 0;
                for (var i = 0; i < n; i++)
                {
                    var b = buffer[i];
                    if (b == '\n' && previous != '\r')
                    {
                        output[o++] = (byte)'\r';
                        scanner.Next((byte)'\r', written++);
                    }

                    nul |= b == 0;
                    output[o++] = b;
                    scanner.Next(b, written++);
                    previous = b;
                }

                hash.AppendData(output, 0, o);
                spool = await WriteAsync(spool, output.AsMemory(0, o), cancellationToken);
            }

            if (written == 0)
            {
                throw RequestValidationException.For("body", "The message is empty.");
            }

            if (nul)
            {
                throw RequestValidationException.For("body", "The message holds NUL bytes, which IMAP cannot store.");
            }

            if (scanner.FirstColon <= 0)
            {
                throw RequestValidationException.For("body", "The message must start with a header field (\"Name: value\"); an mbox \"From \" line is not part of a message.");
            }

            long bodyStart;
            if (scanner.BlankLine < 0)
            {
                // All header: end it with CRLF (if it does not) and the empty line, as MimeKit writes a header-only message.
                var tail = previous == '\n' ? "\r\n"u8.ToArray() : "\r\n\r\n"u8.ToArray();
                hash.AppendData(tail);
                spool = await WriteAsync(spool, tail, cancellationToken);
                written += tail.Length;
                bodyStart = written;
            }
            else
            {
                bodyStart = scanner.BlankLine + 2;
            }

            var headerEnd = bodyStart - 2; // the header value ends with the CRLF before the empty line
            if (headerEnd > MaxHeaderBytes)
            {
                throw RequestValidationException.For("body", $"The message header must be at most {MaxHeaderBytes} bytes.");
            }

            var header = new byte[headerEnd];
            spool.Position = 0;
            await spool.ReadExactlyAsync(header, cancellationToken);
            var upload = new MessageUpload(spool, written, hash.GetHashAndReset(), header[..scanner.FirstColon], header[(scanner.FirstColon + 1)..], bodyStart);
            spool = Stream.Null;
            try
            {
                await upload.CheckParsesAsync(cancellationToken);
                return upload;
            }
            catch
            {
                await upload.DisposeAsync();
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(output);
            await spool.DisposeAsync();
        }
    }

    /// <summary>The message for MailKit's APPEND, written byte for byte as uploaded: a MIME message whose one header
    /// holds the whole header block as its raw value and whose body writes the rest of the upload (MailKit only appends
    /// MimeKit messages, and MimeKit would reformat a parsed one).</summary>
    internal MimeMessage ToMimeMessage()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var probe = new byte[FirstField.Length + 4];
        FirstField.CopyTo(probe, 0);
        ": \r\n"u8.CopyTo(probe.AsSpan(FirstField.Length));
        if (!Header.TryParse(probe, out var header))
        {
            throw new InvalidOperationException("The first header field name was checked but MimeKit refuses it.");
        }

        header.SetRawValue(HeaderValue);
        var message = new MimeMessage();
        message.Headers.Clear();
        message.Headers.Add(header);
        message.Body = new RawBody(this);
        return message;
    }

    /// <summary>Copies the bytes after the header block (the body) to <paramref name="destination"/>.</summary>
    internal void CopyBodyTo(Stream destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _spool.Position = BodyStart;
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int n;
            while ((n = _spool.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                destination.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc cref="CopyBodyTo"/>
    internal async Task CopyBodyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _spool.Position = BodyStart;
        await _spool.CopyToAsync(destination, 81920, cancellationToken);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _spool.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            return _spool.DisposeAsync();
        }

        return ValueTask.CompletedTask;
    }

    private async Task CheckParsesAsync(CancellationToken cancellationToken)
    {
        _spool.Position = 0;
        try
        {
            var parser = new MimeParser(_spool, MimeFormat.Entity, persistent: true);
            _ = await parser.ParseMessageAsync(cancellationToken);
        }
        catch (FormatException ex)
        {
            throw RequestValidationException.For("body", "The message cannot be parsed: " + ex.Message);
        }
    }

    /// <summary>Appends to the spool, moving it from memory to a temporary file once it outgrows <see cref="MemoryLimit"/>.</summary>
    private static async Task<Stream> WriteAsync(Stream spool, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (spool is MemoryStream memory && memory.Length + data.Length > MemoryLimit)
        {
            var file = TemporaryFile();
            memory.Position = 0;
            await memory.CopyToAsync(file, cancellationToken);
            await memory.DisposeAsync();
            spool = file;
        }

        await spool.WriteAsync(data, cancellationToken);
        return spool;
    }

    private static FileStream TemporaryFile()
    {
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

        return new FileStream(Path.Combine(Path.GetTempPath(), "imap-gateway-upload-" + Guid.NewGuid().ToString("N") + ".eml"), options);
    }

    /// <summary>Finds, in the normalized bytes as they are written, the first colon (when the first line starts with a
    /// field name) and the empty line that ends the header.</summary>
    private sealed class HeaderScanner
    {
        private bool _inName = true;
        private uint _last4;

        /// <summary>Offset of the colon after the first field name; -1 when the first line does not start with one.</summary>
        public int FirstColon { get; private set; } = -1;

        /// <summary>Offset of the CRLF that is the empty line; -1 until found.</summary>
        public long BlankLine { get; private set; } = -1;

        public void Next(byte b, long offset)
        {
            if (_inName)
            {
                if (b == ':' && offset > 0 && offset <= int.MaxValue)
                {
                    FirstColon = (int)offset;
                    _inName = false;
                }
                else if (b is < 33 or > 126)
                {
                    _inName = false; // not a field name: FirstColon stays -1
                }
            }

            if (BlankLine >= 0)
            {
                return;
            }

            _last4 = (_last4 << 8) | b;
            if (_last4 == 0x0D0A0D0A && offset >= 3)
            {
                BlankLine = offset - 1;
            }
        }
    }

    /// <summary>The body part that writes the upload's bytes after the header block, untouched.</summary>
    private sealed class RawBody : MimeEntity
    {
        private readonly MessageUpload _upload;

        public RawBody(MessageUpload upload)
            : base(new ContentType("application", "octet-stream"))
        {
            _upload = upload;
            Headers.Clear();
        }

        public override void Accept(MimeVisitor visitor)
        {
        }

        public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
        {
        }

        public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            _upload.CopyBodyTo(stream, cancellationToken);

        public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            _upload.CopyBodyToAsync(stream, cancellationToken);
    }
}

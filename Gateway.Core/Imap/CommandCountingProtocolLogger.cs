using MailKit;

namespace Gateway.Core.Imap;

/// <summary>
/// A MailKit protocol logger that stores nothing: it counts the commands the client sends, by name, and the bytes it
/// receives, and reports them to an <see cref="IImapCommandObserver"/>.
/// </summary>
/// <remarks>
/// <para>A command line starts with MailKit's tag (one letter and eight digits, e.g. <c>A00000012</c>) and a space;
/// the next word is the command name, and for <c>UID</c> the word after it too (<c>UID FETCH</c>). Literals
/// (<c>{123}</c> or <c>{123+}</c> at the end of a line) are skipped, so message text sent by APPEND is never parsed,
/// and SASL continuation lines carry no tag, so secrets never become a name.</para>
/// <para>While <see cref="WatchTaggedResponses"/> is set (during login), the response code of a tagged NO/BAD reply is
/// kept in <see cref="LastRejectionCode"/>: MailKit reports every failed AUTHENTICATE as the same
/// <c>AuthenticationException("Authentication failed.")</c>, so this is the only way to tell Dovecot's
/// <c>NO [LIMIT]</c> from a wrong password.</para>
/// <para>One instance per connection; MailKit calls it from that connection's single in-flight command.</para>
/// </remarks>
public sealed class CommandCountingProtocolLogger : IProtocolLogger
{
    private const int HeadCapacity = 48;
    private const int TailCapacity = 24;
    private const int MaxNameLength = 24;

    private readonly IImapCommandObserver? _observer;

    // Client direction: start of the current command line, last bytes before the line end, literal bytes to skip.
    private readonly byte[] _clientHead = new byte[HeadCapacity];
    private readonly byte[] _clientTail = new byte[TailCapacity];
    private int _clientHeadLength;
    private bool _clientHeadDone;
    private int _clientTailLength;
    private long _literalRemaining;

    // Server direction, only parsed while WatchTaggedResponses is set.
    private readonly byte[] _serverHead = new byte[HeadCapacity];
    private int _serverHeadLength;

    /// <summary>Creates a logger reporting to <paramref name="observer"/> (null: count nothing, still watch codes).</summary>
    public CommandCountingProtocolLogger(IImapCommandObserver? observer)
    {
        _observer = observer;
    }

    /// <summary>Not used: nothing is logged, so there is no secret to redact.</summary>
    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <summary>When true, the response code of tagged NO/BAD replies is recorded in <see cref="LastRejectionCode"/>.</summary>
    public bool WatchTaggedResponses { get; set; }

    /// <summary>The response code (e.g. <c>LIMIT</c>, <c>AUTHENTICATIONFAILED</c>) of the last tagged NO/BAD reply seen
    /// while <see cref="WatchTaggedResponses"/> was set; null when there was none or it carried no code.</summary>
    public string? LastRejectionCode { get; private set; }

    /// <inheritdoc />
    public void LogConnect(Uri uri)
    {
    }

    /// <inheritdoc />
    public void LogClient(byte[] buffer, int offset, int count)
    {
        int end = offset + count;
        int i = offset;
        while (i < end)
        {
            if (_literalRemaining > 0)
            {
                int skip = (int)Math.Min(_literalRemaining, end - i);
                _literalRemaining -= skip;
                i += skip;
                continue;
            }

            byte b = buffer[i++];
            if (b == (byte)'\n')
            {
                EndClientLine();
                continue;
            }

            if (!_clientHeadDone)
            {
                _clientHead[_clientHeadLength++] = b;
                if (_clientHeadLength == HeadCapacity)
                {
                    CountClientHead();
                }
            }

            if (_clientTailLength == TailCapacity)
            {
                Buffer.BlockCopy(_clientTail, 1, _clientTail, 0, TailCapacity - 1);
                _clientTailLength--;
            }

            _clientTail[_clientTailLength++] = b;
        }
    }

    /// <inheritdoc />
    public void LogServer(byte[] buffer, int offset, int count)
    {
        _observer?.OnBytesRead(count);
        if (!WatchTaggedResponses)
        {
            _serverHeadLength = 0;
            return;
        }

        for (int i = offset; i < offset + count; i++)
        {
            byte b = buffer[i];
            if (b == (byte)'\n')
            {
                InspectServerLine(_serverHead.AsSpan(0, _serverHeadLength));
                _serverHeadLength = 0;
            }
            else if (_serverHeadLength < HeadCapacity)
            {
                _serverHead[_serverHeadLength++] = b;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void EndClientLine()
    {
        var tail = _clientTail.AsSpan(0, _clientTailLength);
        _clientTailLength = 0;
        CountClientHead();
        if (TryParseLiteralLength(tail, out long length))
        {
            // The command continues after the literal: keep the head "done" until the real end of the line.
            _literalRemaining = length;
            return;
        }

        _clientHeadLength = 0;
        _clientHeadDone = false;
    }

    private void CountClientHead()
    {
        if (_clientHeadDone)
        {
            return;
        }

        _clientHeadDone = true;
        if (_observer is not null && TryParseCommandName(_clientHead.AsSpan(0, _clientHeadLength), out string? name))
        {
            _observer.OnCommand(name);
        }
    }

    private void InspectServerLine(ReadOnlySpan<byte> line)
    {
        if (!IsTag(line))
        {
            return;
        }

        var rest = line[10..];
        bool rejected = rest.StartsWith("NO "u8) || rest.StartsWith("BAD "u8);
        if (!rejected)
        {
            return;
        }

        rest = rest[(rest.IndexOf((byte)' ') + 1)..];
        LastRejectionCode = rest.Length > 1 && rest[0] == (byte)'[' ? ReadWord(rest[1..]) : null;
    }

    /// <summary>Parses the command name from the start of a client line; false for untagged or continuation lines.</summary>
    internal static bool TryParseCommandName(ReadOnlySpan<byte> line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = null;
        if (!IsTag(line))
        {
            return false;
        }

        var rest = line[10..];
        string? first = ReadWord(rest);
        if (first is null)
        {
            return false;
        }

        if (first == "UID")
        {
            string? second = rest.Length > 4 ? ReadWord(rest[4..]) : null;
            name = second is null ? first : "UID " + second;
            return true;
        }

        name = first;
        return true;
    }

    private static bool IsTag(ReadOnlySpan<byte> line)
    {
        if (line.Length < 11 || line[9] != (byte)' ' || !char.IsAsciiLetter((char)line[0]))
        {
            return false;
        }

        foreach (byte digit in line[1..9])
        {
            if (!char.IsAsciiDigit((char)digit))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ReadWord(ReadOnlySpan<byte> text)
    {
        int length = 0;
        while (length < text.Length && length <= MaxNameLength
            && (char.IsAsciiLetterOrDigit((char)text[length]) || text[length] == (byte)'-' || text[length] == (byte)'.'))
        {
            length++;
        }

        if (length == 0 || length > MaxNameLength)
        {
            return null;
        }

        Span<char> chars = stackalloc char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = char.ToUpperInvariant((char)text[i]);
        }

        return new string(chars);
    }

    private static bool TryParseLiteralLength(ReadOnlySpan<byte> tail, out long length)
    {
        length = 0;
        if (tail.Length > 0 && tail[^1] == (byte)'\r')
        {
            tail = tail[..^1];
        }

        if (tail.Length < 3 || tail[^1] != (byte)'}')
        {
            return false;
        }

        int close = tail.Length - 1;
        int digitsEnd = tail[close - 1] == (byte)'+' || tail[close - 1] == (byte)'-' ? close - 1 : close;
        int open = tail[..digitsEnd].LastIndexOf((byte)'{');
        if (open < 0 || open == digitsEnd - 1 || digitsEnd - open - 1 > 18)
        {
            return false;
        }

        foreach (byte digit in tail[(open + 1)..digitsEnd])
        {
            if (!char.IsAsciiDigit((char)digit))
            {
                return false;
            }

            length = (length * 10) + (digit - '0');
        }

        return true;
    }
}

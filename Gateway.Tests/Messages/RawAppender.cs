using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Messages;

/// <summary>
/// Appends bytes exactly as given with IMAP APPEND (LITERAL+, and literal8 of RFC 3516 BINARY when the bytes hold NUL).
/// <see cref="TestImap.AppendAsync(string, byte[], MailKit.MessageFlags, DateTimeOffset?, IEnumerable{string}?)"/> goes
/// through MimeKit, which refuses messages that do not start with a header; real mail has those too.
/// </summary>
public sealed partial class RawAppender : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private int _tag;

    private RawAppender(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, Encoding.Latin1);
    }

    public static async Task<RawAppender> ConnectAsync(string user, string? password = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(MailEnvironment.ImapHost, MailEnvironment.ImapPort);
        var appender = new RawAppender(tcp);
        await appender._reader.ReadLineAsync();
        await appender.CommandAsync(Encoding.UTF8.GetBytes($"LOGIN {Quote(user)} {Quote(password ?? MailEnvironment.TestPassword)}\r\n"));
        return appender;
    }

    /// <summary>Appends <paramref name="bytes"/> to <paramref name="mailbox"/>; returns (UIDVALIDITY, UID).</summary>
    public async Task<(uint UidValidity, uint Uid)> AppendAsync(string mailbox, byte[] bytes)
    {
        var binary = Array.IndexOf(bytes, (byte)0) >= 0 ? "~" : string.Empty;
        var head = Encoding.UTF8.GetBytes($"APPEND {Quote(mailbox)} {binary}{{{bytes.Length}+}}\r\n");
        var command = new byte[head.Length + bytes.Length + 2];
        head.CopyTo(command, 0);
        bytes.CopyTo(command, head.Length);
        command[^2] = (byte)'\r';
        command[^1] = (byte)'\n';
        var answer = await CommandAsync(command);
        var match = AppendUid().Match(answer);
        if (!match.Success)
        {
            throw new InvalidOperationException("APPEND gave no APPENDUID: " + answer);
        }

        return (uint.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), uint.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CommandAsync("LOGOUT\r\n"u8.ToArray());
        }
        catch (IOException)
        {
        }

        _reader.Dispose();
        _tcp.Dispose();
    }

    private async Task<string> CommandAsync(byte[] command)
    {
        var tag = "r" + (++_tag).ToString(CultureInfo.InvariantCulture);
        var tagged = Encoding.ASCII.GetBytes(tag + " ");
        await _stream.WriteAsync(tagged);
        await _stream.WriteAsync(command);
        while (await _reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                return line.StartsWith(tag + " OK", StringComparison.Ordinal)
                    ? line
                    : throw new InvalidOperationException("IMAP refused: " + line);
            }
        }

        throw new IOException("The IMAP server closed the connection.");
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex(@"\[APPENDUID (\d+) (\d+)\]")]
    private static partial Regex AppendUid();
}

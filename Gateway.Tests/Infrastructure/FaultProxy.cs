using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on 127.0.0.1 between a client (the gateway) and a plain-IMAP server (the tests' Dovecot) that follows
/// both IMAP streams (command and response lines, <c>{n}</c>/<c>{n+}</c>/<c>~{n}</c> literals) well enough to know each
/// client command's tag and name, and can be armed to cut a connection (close both sockets) at a chosen point:
/// before a command is forwarded, after the client's literal was forwarded, or after the server's tagged completion
/// (the server executed the command; the client never sees the answer). Each rule fires once, on the Nth command that
/// matches it, counted over all connections. Point the gateway's <c>Imap:Port</c> at <see cref="Port"/>.
/// </summary>
public sealed partial class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Rule> _rules = [];
    private readonly List<(Func<string, bool> Predicate, TimeSpan Delay)> _delays = [];
    private readonly List<string> _commands = [];
    private readonly List<Connection> _connections = [];
    private readonly Task _accepting;
    private int _connectionCount;

    private FaultProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where the proxy listens (127.0.0.1).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connectionCount);

    /// <summary>Every client command seen, in order: its first line without CRLF (<c>A0005 APPEND INBOX {123+}</c>),
    /// LOGIN and AUTHENTICATE arguments left out, prefixed by the connection number (<c>#2 </c>).</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_commands)
            {
                return _commands.ToArray();
            }
        }
    }

    /// <summary>Starts a proxy to the tests' Dovecot (or to <paramref name="host"/>:<paramref name="port"/>).</summary>
    public static FaultProxy Start(string? host = null, int? port = null) =>
        new(host ?? MailEnvironment.ImapHost, port ?? MailEnvironment.ImapPort);

    /// <summary>A predicate for command lines whose command name is <paramref name="name"/> (e.g. <c>APPEND</c>, or
    /// <c>UID MOVE</c> for the UID forms), case-insensitive.</summary>
    public static Func<string, bool> Command(string name) =>
        line => string.Equals(NameOf(line), name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Cuts the connection when the server's tagged completion (OK, NO or BAD) of the
    /// <paramref name="occurrence"/>th command matching <paramref name="commandLine"/> arrives, without forwarding it.</summary>
    public FaultRule CutAfterResponse(Func<string, bool> commandLine, int occurrence = 1) => Arm(RuleKind.AfterResponse, commandLine, occurrence);

    /// <summary>Cuts the connection once the client's last literal of the matching command has been forwarded in full:
    /// with <paramref name="withCommandEnd"/>, the rest of the command line (its CRLF) too, so the server has the whole
    /// command (and may well execute it); without, the server is left waiting for the command's end.</summary>
    public FaultRule CutAfterClientLiteral(Func<string, bool> commandLine, int occurrence = 1, bool withCommandEnd = true) =>
        Arm(withCommandEnd ? RuleKind.AfterCommand : RuleKind.AfterLiteral, commandLine, occurrence);

    /// <summary>Cuts the connection instead of forwarding the matching command: the server never sees it.</summary>
    public FaultRule CutBeforeCommand(Func<string, bool> commandLine, int occurrence = 1) => Arm(RuleKind.BeforeCommand, commandLine, occurrence);

    /// <summary>Holds every command matching <paramref name="commandLine"/> for <paramref name="delay"/> before
    /// forwarding it (a slow server, for as long as the proxy runs); unlike the cut rules it never fires "once".</summary>
    public void Delay(Func<string, bool> commandLine, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        lock (_delays)
        {
            _delays.Add((commandLine, delay));
        }
    }

    private TimeSpan DelayOf(string line)
    {
        lock (_delays)
        {
            return _delays.Where(d => d.Predicate(line)).Select(d => d.Delay).DefaultIfEmpty(TimeSpan.Zero).Max();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Connection[] open;
        lock (_connections)
        {
            open = _connections.ToArray();
        }

        foreach (var connection in open)
        {
            connection.Close();
        }

        _stop.Dispose();
    }

    private FaultRule Arm(RuleKind kind, Func<string, bool> commandLine, int occurrence)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentOutOfRangeException.ThrowIfLessThan(occurrence, 1);
        var rule = new Rule(kind, commandLine, occurrence);
        lock (_rules)
        {
            _rules.Add(rule);
        }

        return rule.Public;
    }

    /// <summary>The rule of <paramref name="kind"/> that this command is the chosen occurrence of, if any (counted once
    /// per command and rule).</summary>
    private Rule? Match(string line, RuleKind kind)
    {
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if (rule.Kind == kind && !rule.Public.Fired && rule.Predicate(line) && ++rule.Seen == rule.Occurrence)
                {
                    return rule;
                }
            }
        }

        return null;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var number = Interlocked.Increment(ref _connectionCount);
            _ = Task.Run(() => RelayAsync(client, number));
        }
    }

    private async Task RelayAsync(TcpClient client, int number)
    {
        // Forwarded line by line: without NoDelay, Nagle and delayed ACKs add ~40 ms to many round trips.
        client.NoDelay = true;
        var server = new TcpClient { NoDelay = true };
        var connection = new Connection(this, number, client, server);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        try
        {
            await server.ConnectAsync(_host, _port);
            await Task.WhenAll(connection.PumpClientAsync(), connection.PumpServerAsync());
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            connection.Close();
        }
    }

    private static string? NameOf(string line)
    {
        var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return null;
        }

        return parts[1].Equals("UID", StringComparison.OrdinalIgnoreCase) && parts.Length > 2 ? "UID " + parts[2].ToUpperInvariant() : parts[1].ToUpperInvariant();
    }

    /// <summary>The literal announced at the end of a line (<c>{12}</c>, <c>{12+}</c>, <c>~{12}</c>), or -1.</summary>
    private static long LiteralAt(string line)
    {
        var match = LiteralPattern().Match(line);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"\{(\d+)\+?\}\r\n$")]
    private static partial Regex LiteralPattern();

    private enum RuleKind
    {
        BeforeCommand,
        AfterLiteral,
        AfterCommand,
        AfterResponse,
    }

    private sealed class Rule(RuleKind kind, Func<string, bool> predicate, int occurrence)
    {
        public RuleKind Kind { get; } = kind;

        public Func<string, bool> Predicate { get; } = predicate;

        public int Occurrence { get; } = occurrence;

        public int Seen { get; set; }

        public FaultRule Public { get; } = new();
    }

    /// <summary>One proxied connection: two pumps that forward bytes and parse lines and literals.</summary>
    private sealed class Connection(FaultProxy proxy, int number, TcpClient client, TcpClient server)
    {
        private readonly Dictionary<string, (string Line, Rule? CutOnResponse)> _pending = new(StringComparer.Ordinal);
        private int _closed;

        /// <summary>True between AUTHENTICATE or IDLE and their completion: client lines are not commands then.</summary>
        private volatile bool _continuation;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            client.Dispose();
            server.Dispose();
        }

        public async Task PumpClientAsync()
        {
            var reader = new ImapReader(client.GetStream());
            var output = server.GetStream();
            while (await reader.ReadLineAsync() is { } raw)
            {
                var line = Encoding.Latin1.GetString(raw);
                Rule? afterLiteral = null;
                Rule? afterCommand = null;
                if (!_continuation && line.Length > 2)
                {
                    var text = line[..^2];
                    var name = NameOf(text);
                    var tag = text.Split(' ', 2)[0];
                    proxy.Log(number, name is "LOGIN" or "AUTHENTICATE" ? $"{tag} {name} ***" : Strip(text));
                    if (proxy.Match(text, RuleKind.BeforeCommand) is { } before)
                    {
                        Cut(before);
                        return;
                    }

                    lock (_pending)
                    {
                        _pending[tag] = (text, proxy.Match(text, RuleKind.AfterResponse));
                    }

                    _continuation = name is "AUTHENTICATE" or "IDLE";
                    if (proxy.DelayOf(text) is { Ticks: > 0 } delay)
                    {
                        await Task.Delay(delay);
                    }

                    afterLiteral = proxy.Match(text, RuleKind.AfterLiteral);
                    afterCommand = proxy.Match(text, RuleKind.AfterCommand);
                }

                // Forward the line, then its literals and continuation lines, until the command's last line.
                var current = line;
                var bytes = raw;
                while (true)
                {
                    await output.WriteAsync(bytes);
                    var literal = LiteralAt(current);
                    if (literal < 0)
                    {
                        break;
                    }

                    await reader.CopyAsync(output, literal);
                    if (afterLiteral is not null)
                    {
                        // Only after the command's last literal: is another announced on the next line?
                        var next = await reader.ReadLineAsync();
                        if (next is null)
                        {
                            return;
                        }

                        var nextLine = Encoding.Latin1.GetString(next);
                        if (LiteralAt(nextLine) < 0)
                        {
                            Cut(afterLiteral);
                            return;
                        }

                        current = nextLine;
                        bytes = next;
                        continue;
                    }

                    var rest = await reader.ReadLineAsync();
                    if (rest is null)
                    {
                        return;
                    }

                    current = Encoding.Latin1.GetString(rest);
                    bytes = rest;
                }

                await output.FlushAsync();
                if (afterCommand is not null && LiteralAt(line) >= 0)
                {
                    Cut(afterCommand);
                    return;
                }
            }

            Close();
        }

        public async Task PumpServerAsync()
        {
            var reader = new ImapReader(server.GetStream());
            var output = client.GetStream();
            while (await reader.ReadLineAsync() is { } raw)
            {
                var line = Encoding.Latin1.GetString(raw);
                var tag = line.Split(' ', 2)[0];
                Rule? cut = null;
                var tagged = false;
                lock (_pending)
                {
                    if (tag is not "*" and not "+" && _pending.Remove(tag, out var pending))
                    {
                        tagged = true;
                        cut = pending.CutOnResponse;
                    }
                }

                if (tagged)
                {
                    _continuation = false;
                }

                if (cut is not null)
                {
                    Cut(cut);
                    return;
                }

                var current = line;
                var bytes = raw;
                while (true)
                {
                    await output.WriteAsync(bytes);
                    var literal = LiteralAt(current);
                    if (literal < 0)
                    {
                        break;
                    }

                    await reader.CopyAsync(output, literal);
                    var rest = await reader.ReadLineAsync();
                    if (rest is null)
                    {
                        return;
                    }

                    current = Encoding.Latin1.GetString(rest);
                    bytes = rest;
                }

                await output.FlushAsync();
            }

            Close();
        }

        private void Cut(Rule rule)
        {
            // Fired first: the client may see the closed socket and the test check Fired at once.
            rule.Public.Fire();
            Close();
        }

        private static string Strip(string line) => line.Length > 200 ? line[..200] + "..." : line;
    }

    private void Log(int connection, string line)
    {
        lock (_commands)
        {
            _commands.Add($"#{connection} {line}");
        }
    }

    /// <summary>Reads CRLF-terminated lines (bytes, CRLF included) and literal bytes from a stream.</summary>
    private sealed class ImapReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<byte[]?> ReadLineAsync()
        {
            var line = new MemoryStream();
            while (true)
            {
                if (_start == _end && !await FillAsync())
                {
                    return null;
                }

                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    line.Write(_buffer, _start, newline + 1 - _start);
                    _start = newline + 1;
                    return line.ToArray();
                }

                line.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
        }

        public async Task CopyAsync(Stream destination, long count)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync())
                {
                    throw new IOException("The stream ended inside a literal.");
                }

                var n = (int)Math.Min(count, _end - _start);
                await destination.WriteAsync(_buffer.AsMemory(_start, n));
                _start += n;
                count -= n;
            }
        }

        private async Task<bool> FillAsync()
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer);
            return _end > 0;
        }
    }
}

/// <summary>One armed cut of a <see cref="FaultProxy"/>.</summary>
public sealed class FaultRule
{
    private readonly TaskCompletionSource _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the connection was cut.</summary>
    public bool Fired => _fired.Task.IsCompleted;

    /// <summary>Completes when the connection was cut.</summary>
    public Task WhenFired => _fired.Task;

    internal void Fire() => _fired.TrySetResult();
}

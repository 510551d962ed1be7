using System.Collections.Concurrent;
using Gateway.Core.Imap;

namespace Gateway.Tests.Imap;

/// <summary>Remembers what a <see cref="CommandCountingProtocolLogger"/> reported.</summary>
internal sealed class RecordingObserver : IImapCommandObserver
{
    private readonly ConcurrentDictionary<string, int> _commands = new(StringComparer.Ordinal);
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public int Total => _commands.Values.Sum();

    public int Count(string name) => _commands.TryGetValue(name, out int n) ? n : 0;

    public void OnCommand(string name) => _commands.AddOrUpdate(name, 1, (_, n) => n + 1);

    public void OnBytesRead(int count) => Interlocked.Add(ref _bytes, count);
}

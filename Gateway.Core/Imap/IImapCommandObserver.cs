namespace Gateway.Core.Imap;

/// <summary>Receives the traffic counters of one IMAP connection (never any content).</summary>
/// <remarks>Called on the connection's I/O path: implementations must be cheap and thread-safe.</remarks>
public interface IImapCommandObserver
{
    /// <summary>The client sent a command, e.g. <c>SELECT</c> or <c>UID FETCH</c>.</summary>
    void OnCommand(string name);

    /// <summary>The client received <paramref name="count"/> bytes from the server.</summary>
    void OnBytesRead(int count);
}

using System.Text;
using Gateway.Core.Imap;

namespace Gateway.Tests.Imap;

public sealed class CommandCountingProtocolLoggerTests
{
    [Fact]
    public void LogClient_TaggedLines_CountsCommandNamesIncludingUidForms()
    {
        var (logger, observer) = Create();

        Send(logger, "A00000001 NOOP\r\nA00000002 UID FETCH 1:* (FLAGS)\r\nA00000003 uid store 4 +FLAGS (\\Seen)\r\n");
        Send(logger, "A00000004 SELECT INBOX (CONDSTORE)\r\n");

        Assert.Equal(1, observer.Count("NOOP"));
        Assert.Equal(1, observer.Count("UID FETCH"));
        Assert.Equal(1, observer.Count("UID STORE"));
        Assert.Equal(1, observer.Count("SELECT"));
        Assert.Equal(4, observer.Total);
    }

    [Fact]
    public void LogClient_LineSplitAcrossChunks_CountsOnce()
    {
        var (logger, observer) = Create();

        foreach (string chunk in new[] { "A000", "00007 UI", "D SEA", "RCH ALL\r", "\n", "A00000008 NOOP\r\n" })
        {
            Send(logger, chunk);
        }

        Assert.Equal(1, observer.Count("UID SEARCH"));
        Assert.Equal(1, observer.Count("NOOP"));
        Assert.Equal(2, observer.Total);
    }

    [Fact]
    public void LogClient_AppendLiteralLookingLikeCommands_SkipsLiteral()
    {
        var (logger, observer) = Create();
        string body = "A00000099 DELETE INBOX\r\nB00000001 LOGOUT\r\n";

        Send(logger, $"A00000010 APPEND INBOX (\\Seen) {{{Encoding.ASCII.GetByteCount(body)}+}}\r\n");
        Send(logger, body[..10]);
        Send(logger, body[10..] + "\r\nA00000011 NOOP\r\n");

        Assert.Equal(1, observer.Count("APPEND"));
        Assert.Equal(1, observer.Count("NOOP"));
        Assert.Equal(2, observer.Total);
    }

    [Fact]
    public void LogClient_SaslContinuationAndDone_CountsNothing()
    {
        var (logger, observer) = Create();

        Send(logger, "A00000000 AUTHENTICATE PLAIN\r\nAHVzZXIAc2VjcmV0\r\nDONE\r\n");

        Assert.Equal(1, observer.Count("AUTHENTICATE"));
        Assert.Equal(1, observer.Total);
    }

    [Fact]
    public void LogServer_TaggedNoWithLimitWhileWatching_RecordsCodeAndCountsBytes()
    {
        var (logger, observer) = Create();
        logger.WatchTaggedResponses = true;
        byte[] reply = Encoding.ASCII.GetBytes("U00000000 NO [LIMIT] Maximum number of connections from user+IP exceeded\r\n");

        logger.LogServer(reply, 0, 20);
        logger.LogServer(reply, 20, reply.Length - 20);

        Assert.Equal("LIMIT", logger.LastRejectionCode);
        Assert.Equal(reply.Length, observer.Bytes);
    }

    [Fact]
    public void LogServer_NotWatching_RecordsNoCode()
    {
        var (logger, _) = Create();
        byte[] reply = Encoding.ASCII.GetBytes("A00000001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");

        logger.LogServer(reply, 0, reply.Length);

        Assert.Null(logger.LastRejectionCode);
    }

    private static (CommandCountingProtocolLogger Logger, RecordingObserver Observer) Create()
    {
        var observer = new RecordingObserver();
        return (new CommandCountingProtocolLogger(observer), observer);
    }

    private static void Send(CommandCountingProtocolLogger logger, string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes("xx" + text);
        logger.LogClient(bytes, 2, bytes.Length - 2);
    }
}

using MailKit;
using MailKit.Net.Imap;

namespace Gateway.Core.Imap;

// Placeholder until the pool branch lands.
public sealed class ImapLease : IAsyncDisposable
{
    public ImapClient Client { get; } = null!;

    public ImapAccount Account { get; } = null!;

    public bool IsFresh { get; }

    public Task<IMailFolder> OpenMailboxAsync(string fullName, FolderAccess access, CancellationToken cancellationToken) => throw new NotImplementedException();

    public bool Discarded { get; private set; }

    public void Discard() => Discarded = true;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Messages;

/// <summary>
/// Every corpus message appended once, byte for byte, to the INBOX of a fresh user, and a gateway logged in as that
/// user. Shared by the tests of one class (they only read).
/// </summary>
public sealed class CorpusFixture : IAsyncLifetime
{
    public GatewayApplication App { get; } = new();

    public string User { get; } = MailEnvironment.NewUser("corpus");

    public HttpClient Client { get; private set; } = null!;

    public string AccountId { get; private set; } = string.Empty;

    public IReadOnlyList<CorpusMessage> Messages { get; private set; } = [];

    public async Task InitializeAsync()
    {
        if (!Corpus.Available)
        {
            return;
        }

        (Client, AccountId, _) = await App.LoginAsync(User);
        var mailboxId = MailboxIds.For(AccountId, "INBOX");
        var messages = new List<CorpusMessage>(Corpus.Entries.Count);
        await using (var appender = await RawAppender.ConnectAsync(User))
        {
            foreach (var entry in Corpus.Entries)
            {
                var (uidValidity, uid) = await appender.AppendAsync("INBOX", entry.Bytes());
                messages.Add(new CorpusMessage(entry, uid, MessageIds.For(mailboxId, uidValidity, uid)));
            }
        }

        Messages = messages;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>One corpus file as it lies in the test mailbox.</summary>
/// <param name="Entry">The manifest row.</param>
/// <param name="Uid">Its UID in INBOX.</param>
/// <param name="Id">Its gateway message id.</param>
public sealed record CorpusMessage(Corpus.Entry Entry, uint Uid, string Id);

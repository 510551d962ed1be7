namespace Gateway.Core.Push;

/// <summary>
/// A change of an account's mail, as pushed to subscribers: the new state of each mailbox that changed (the same
/// opaque state a listing returns and <c>/changes</c> takes) and whether the mailbox list itself changed (a mailbox
/// created, renamed or deleted).
/// </summary>
/// <param name="Id">Position in the account's event log, increasing; a reconnecting subscriber sends the last one it
/// saw (<c>Last-Event-ID</c>) and receives everything after it.</param>
/// <param name="Mailboxes">Mailbox id → its new state.</param>
/// <param name="MailboxListChanged">True when mailboxes were created, renamed or deleted.</param>
public sealed record PushEvent(string Id, IReadOnlyDictionary<string, string> Mailboxes, bool MailboxListChanged);

/// <summary>What a publisher knows before the log gives the event its id.</summary>
public sealed record PushChange(IReadOnlyDictionary<string, string> Mailboxes, bool MailboxListChanged);

/// <summary>
/// The account event log and its fan-out to every gateway instance: Redis (a capped stream per account for replay,
/// pub/sub for live delivery) when configured, else in process.
/// </summary>
public interface IEventBus
{
    /// <summary>Appends <paramref name="change"/> to the account's log and delivers it to every subscriber of the
    /// account on every instance.</summary>
    Task<PushEvent> PublishAsync(string accountId, PushChange change, CancellationToken cancellationToken);

    /// <summary>Delivers the account's new events to <paramref name="onEvent"/> until the subscription is disposed.
    /// <paramref name="onEvent"/> must not block.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string accountId, Action<PushEvent> onEvent, CancellationToken cancellationToken);

    /// <summary>The events after <paramref name="lastEventId"/>, oldest first; null when the log no longer reaches back
    /// that far (or the id is not one of this log): the subscriber must then resynchronise.</summary>
    Task<IReadOnlyList<PushEvent>?> ReadAfterAsync(string accountId, string lastEventId, CancellationToken cancellationToken);
}

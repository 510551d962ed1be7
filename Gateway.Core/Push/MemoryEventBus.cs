using Microsoft.Extensions.Options;

namespace Gateway.Core.Push;

/// <summary>The event log in process (no Redis configured): one instance, so delivery is a method call.</summary>
public sealed class MemoryEventBus(IOptions<PushOptions> options) : IEventBus
{
    private readonly Dictionary<string, Log> _logs = new(StringComparer.Ordinal);
    private long _sequence;

    public Task<PushEvent> PublishAsync(string accountId, PushChange change, CancellationToken cancellationToken)
    {
        PushEvent pushed;
        Action<PushEvent>[] subscribers;
        lock (_logs)
        {
            var log = LogOf(accountId);
            pushed = new PushEvent($"0-{++_sequence}", change.Mailboxes, change.MailboxListChanged);
            log.Events.Add(pushed);
            var max = options.Value.EventLogLength;
            if (log.Events.Count > max)
            {
                log.Events.RemoveRange(0, log.Events.Count - max);
                log.Trimmed = true;
            }

            subscribers = [.. log.Subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber(pushed);
        }

        return Task.FromResult(pushed);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string accountId, Action<PushEvent> onEvent, CancellationToken cancellationToken)
    {
        lock (_logs)
        {
            LogOf(accountId).Subscribers.Add(onEvent);
        }

        return Task.FromResult<IAsyncDisposable>(new Subscription(() =>
        {
            lock (_logs)
            {
                LogOf(accountId).Subscribers.Remove(onEvent);
            }
        }));
    }

    public Task<IReadOnlyList<PushEvent>?> ReadAfterAsync(string accountId, string lastEventId, CancellationToken cancellationToken)
    {
        if (!EventIds.TryParse(lastEventId, out _))
        {
            return Task.FromResult<IReadOnlyList<PushEvent>?>(null);
        }

        lock (_logs)
        {
            var log = LogOf(accountId);
            var index = log.Events.FindIndex(e => e.Id == lastEventId);
            if (index < 0)
            {
                // Not in the log: fine only if nothing was ever trimmed and the id is not from the future.
                var known = !log.Trimmed && (log.Events.Count == 0 || EventIds.IsAfter(log.Events[0].Id, lastEventId));
                return Task.FromResult<IReadOnlyList<PushEvent>?>(known ? [.. log.Events] : null);
            }

            return Task.FromResult<IReadOnlyList<PushEvent>?>(log.Events.GetRange(index + 1, log.Events.Count - index - 1));
        }
    }

    private Log LogOf(string accountId)
    {
        if (!_logs.TryGetValue(accountId, out var log))
        {
            log = new Log();
            _logs[accountId] = log;
        }

        return log;
    }

    private sealed class Log
    {
        public List<PushEvent> Events { get; } = [];

        public List<Action<PushEvent>> Subscribers { get; } = [];

        public bool Trimmed { get; set; }
    }

    private sealed class Subscription(Action dispose) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                dispose();
            }

            return ValueTask.CompletedTask;
        }
    }
}

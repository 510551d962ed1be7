using System.Collections.Concurrent;
using System.Text;
using Gateway.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Core.Push;

/// <summary>
/// The event log in Redis, shared by every gateway instance: per account a capped stream (<c>XADD ... MAXLEN ~</c>)
/// that reconnecting subscribers replay from, and a pub/sub channel for live delivery. One script appends and
/// publishes, so the order on the channel is the order in the log. Each instance holds one channel subscription per
/// account that has local subscribers.
/// </summary>
/// <remarks>Pub/sub keeps nothing (PITFALLS 18): an event published while this instance was cut from Redis is not
/// delivered live, but a subscriber that reconnects with <c>Last-Event-ID</c> gets it from the stream.</remarks>
public sealed partial class RedisEventBus(RedisConnection redis, IOptions<PushOptions> options, ILogger<RedisEventBus> logger) : IEventBus
{
    private static readonly TimeSpan LogLifetime = TimeSpan.FromDays(7);

    // KEYS[1] stream, ARGV[1] channel, ARGV[2] max length, ARGV[3] payload without "previous", ARGV[4] ttl ms.
    // The payload gets the previous entry's id spliced in, so a replay can detect a gap left by trimming.
    private const string AppendScript = """
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local previous = ''
        if last[1] then previous = last[1][1] end
        local payload = string.sub(ARGV[3], 1, -2) .. ',"p":"' .. previous .. '"}'
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'd', payload)
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('PUBLISH', ARGV[1], id .. ' ' .. payload)
        return id
        """;

    private readonly ConcurrentDictionary<string, Channel> _channels = new(StringComparer.Ordinal);

    public async Task<PushEvent> PublishAsync(string accountId, PushChange change, CancellationToken cancellationToken)
    {
        var payload = PushPayload.Serialize(change, previous: null);
        var json = Encoding.UTF8.GetString(payload);

        // Serialize wrote "p":null last; the script replaces it with the previous id.
        var withoutPrevious = json[..json.LastIndexOf(",\"p\":", StringComparison.Ordinal)] + "}";
        var id = (string?)await redis.RunAsync(
            db => db.ScriptEvaluateAsync(
                AppendScript,
                [StreamKey(accountId)],
                [ChannelText(accountId), options.Value.EventLogLength, withoutPrevious, (long)LogLifetime.TotalMilliseconds]),
            cancellationToken);
        return new PushEvent(id ?? throw new StoreUnavailableException("XADD returned no id."), change.Mailboxes, change.MailboxListChanged);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string accountId, Action<PushEvent> onEvent, CancellationToken cancellationToken)
    {
        while (true)
        {
            var channel = _channels.GetOrAdd(accountId, id => new Channel(this, id));
            if (await channel.AddAsync(onEvent, cancellationToken))
            {
                return new Subscription(channel, onEvent);
            }

            // The channel was being torn down as we joined: take a new one.
        }
    }

    public async Task<IReadOnlyList<PushEvent>?> ReadAfterAsync(string accountId, string lastEventId, CancellationToken cancellationToken)
    {
        if (!EventIds.TryParse(lastEventId, out _))
        {
            return null;
        }

        var entries = await redis.RunAsync(
            db => db.StreamRangeAsync(StreamKey(accountId), "(" + lastEventId, "+"),
            cancellationToken);
        var events = new List<PushEvent>(entries.Length);
        foreach (var entry in entries)
        {
            var payload = PushPayload.Parse((byte[])entry["d"]!);
            if (payload is null)
            {
                continue;
            }

            if (events.Count == 0 && payload.Previous != lastEventId)
            {
                return null; // the entry after the client's last is missing: trimmed or expired
            }

            events.Add(payload.ToEvent(entry.Id!));
        }

        return events;
    }

    private string StreamKey(string accountId) => $"{redis.Prefix}ev:{accountId}";

    private TimeSpan SubscribeTimeout => redis.Options.OperationTimeout * 3;

    private string ChannelText(string accountId) => $"{redis.Prefix}ev:{accountId}";

    private async Task<ChannelMessageQueue> SubscribeChannelAsync(Channel channel)
    {
        var mux = await redis.GetMultiplexerAsync(CancellationToken.None);
        var queue = await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(ChannelText(channel.AccountId)));
        queue.OnMessage(m => Deliver(channel, m.Message));
        return queue;
    }

    private void Deliver(Channel channel, RedisValue message)
    {
        var text = (string?)message;
        var space = text?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        if (text is null || space <= 0 || PushPayload.Parse(Encoding.UTF8.GetBytes(text[(space + 1)..])) is not { } payload)
        {
            LogBadMessage(channel.AccountId);
            return;
        }

        channel.Deliver(payload.ToEvent(text[..space]));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable event on the channel of account {AccountId}; skipped")]
    private partial void LogBadMessage(string accountId);

    /// <summary>This instance's subscription to one account's channel, shared by its local subscribers.</summary>
    private sealed class Channel
    {
        private readonly RedisEventBus _bus;
        private readonly List<Action<PushEvent>> _handlers = [];
        private readonly Lazy<Task<ChannelMessageQueue>> _queue;
        private bool _closed;

        public Channel(RedisEventBus bus, string accountId)
        {
            _bus = bus;
            AccountId = accountId;
            _queue = new Lazy<Task<ChannelMessageQueue>>(() => bus.SubscribeChannelAsync(this));
        }

        public string AccountId { get; }

        /// <summary>Joins; false when the channel closed meanwhile (join a new one).</summary>
        public async Task<bool> AddAsync(Action<PushEvent> handler, CancellationToken ct)
        {
            lock (_handlers)
            {
                if (_closed)
                {
                    return false;
                }

                _handlers.Add(handler);
            }

            try
            {
                await _queue.Value.WaitAsync(_bus.SubscribeTimeout, ct);
                return true;
            }
            catch (Exception ex)
            {
                await RemoveAsync(handler);
                throw ex is RedisException or TimeoutException ? new StoreUnavailableException("Redis did not answer the subscription.", ex) : ex;
            }
        }

        public async Task RemoveAsync(Action<PushEvent> handler)
        {
            lock (_handlers)
            {
                _handlers.Remove(handler);
                if (_handlers.Count > 0 || _closed)
                {
                    return;
                }

                _closed = true;
            }

            _bus._channels.TryRemove(new KeyValuePair<string, Channel>(AccountId, this));
            try
            {
                var queue = await _queue.Value;
                await queue.UnsubscribeAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Gone with the connection anyway.
            }
        }

        public void Deliver(PushEvent pushed)
        {
            Action<PushEvent>[] handlers;
            lock (_handlers)
            {
                handlers = [.. _handlers];
            }

            foreach (var handler in handlers)
            {
                handler(pushed);
            }
        }
    }

    private sealed class Subscription(Channel channel, Action<PushEvent> handler) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await channel.RemoveAsync(handler);
            }
        }
    }
}

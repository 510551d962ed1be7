using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cache;

/// <summary>One contract, two stores: the in-process store and the Redis store (real Redis) must behave the same.</summary>
public sealed class MessageCacheStoreTests
{
    public static TheoryData<string> Stores => ["memory", "redis"];

    private static async Task<(IMessageCacheStore Store, IAsyncDisposable Owner)> CreateAsync(string kind)
    {
        var options = Options.Create(new MessageCacheOptions());
        if (kind == "memory")
        {
            return (new MemoryMessageCacheStore(TimeProvider.System, options), new Nothing());
        }

        var redis = new RedisConnection(
            Options.Create(new RedisOptions { Configuration = MailEnvironment.RedisConfiguration, KeyPrefix = "gwtest:", OperationTimeout = TimeSpan.FromSeconds(15) }),
            NullLogger<RedisConnection>.Instance);
        await redis.StartAsync(CancellationToken.None);
        return (new RedisMessageCacheStore(redis, options, new CacheMetrics()), redis);
    }

    private static MailboxCacheKey NewKey() => new(Core.Accounts.AccountIds.Hash(Guid.NewGuid().ToString()), 42);

    private static MessageSummary Summary(uint uid, ulong modSeq = 1, DateTimeOffset? date = null, MessageFlags flags = MessageFlags.None) => new(
        uid, modSeq, flags, [], DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + uid), date ?? DateTimeOffset.FromUnixTimeSeconds(1_600_000_000 + uid),
        100 + uid, uid % 2 == 0, $"subject {uid}", [new EmailAddress("A", "a@example.test")], [], [], [], $"id{uid}@x", null, null);

    private static async Task<MailboxCacheKey> SeededAsync(IMessageCacheStore store, params MessageSummary[] items)
    {
        var key = NewKey();
        var next = items.Length == 0 ? 1 : items.Max(i => i.Uid) + 1;
        Assert.True(await store.CreateAsync(key, new CacheState(key.UidValidity, next, 1, items.Length, next, 0), default));
        Assert.True(await store.ApplyAsync(key, new CacheChange(items, [], null, 1), default));
        return key;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Pages_by_uid_descending_with_keyset_cursor_and_uid_limit(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var key = await SeededAsync(store, Enumerable.Range(1, 10).Select(i => Summary((uint)i)).ToArray());

        var first = await store.ReadAsync(key, ListOrder.Arrival, null, 0, 3, default);
        Assert.Equal([10u, 9u, 8u], first.Items.Select(i => i.Uid));
        Assert.False(first.Exhausted);
        Assert.NotNull(first.State);
        Assert.True(first.State!.Complete);
        Assert.Equal(10, first.State.Cached);

        var next = await store.ReadAsync(key, ListOrder.Arrival, new ListPosition(8, default), 0, 100, default);
        Assert.Equal([7u, 6u, 5u, 4u, 3u, 2u, 1u], next.Items.Select(i => i.Uid));
        Assert.True(next.Exhausted);

        var limited = await store.ReadAsync(key, ListOrder.Arrival, null, 6, 2, default);
        Assert.Equal([5u, 4u], limited.Items.Select(i => i.Uid));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Date_order_is_newest_first_with_ties_in_uid_order(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var same = DateTimeOffset.Parse("2024-01-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var key = await SeededAsync(store,
            Summary(1, date: same), Summary(2, date: same), Summary(3, date: same), Summary(4, date: same.AddHours(1)), Summary(5, date: same.AddHours(-1)));

        var all = await store.ReadAsync(key, ListOrder.Date, null, 0, 10, default);
        Assert.Equal([4u, 1u, 2u, 3u, 5u], all.Items.Select(i => i.Uid));

        var after = await store.ReadAsync(key, ListOrder.Date, new ListPosition(1, same), 0, 10, default);
        Assert.Equal([2u, 3u, 5u], after.Items.Select(i => i.Uid));

        var limited = await store.ReadAsync(key, ListOrder.Date, null, 3, 10, default);
        Assert.Equal([1u, 2u], limited.Items.Select(i => i.Uid));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task An_older_modseq_never_overwrites_and_a_removed_uid_never_returns(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var key = await SeededAsync(store, Summary(1, modSeq: 5), Summary(2, modSeq: 5));

        await store.ApplyAsync(key, new CacheChange([Summary(1, modSeq: 7, flags: MessageFlags.Seen)], [2], new SyncPoint(3, 7, 1)), default);
        await store.ApplyAsync(key, new CacheChange([Summary(1, modSeq: 6), Summary(2, modSeq: 9)], [], null), default);

        var slice = await store.ReadAsync(key, ListOrder.Arrival, null, 0, 10, default);
        var only = Assert.Single(slice.Items);
        Assert.Equal(1u, only.Uid);
        Assert.True(only.Seen);
        Assert.Equal(7ul, only.ModSeq);
        Assert.Equal(7ul, slice.State!.HighestModSeq);
        Assert.Equal(1, slice.State.Exists);
        Assert.Equal(1, slice.State.Cached);
        Assert.Equal([1u], await store.GetUidsAsync(key, default));
        Assert.Single(await store.GetAsync(key, [1u, 2u, 3u], default));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task State_only_moves_forward_and_the_fill_floor_only_down(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var key = NewKey();
        Assert.True(await store.CreateAsync(key, new CacheState(key.UidValidity, 100, 50, 99, 100, 0), default));
        Assert.False(await store.CreateAsync(key, new CacheState(key.UidValidity, 1, 1, 1, 1, 0), default));

        await store.ApplyAsync(key, new CacheChange([], [], new SyncPoint(120, 60, 110), 80), default);
        await store.ApplyAsync(key, new CacheChange([], [], new SyncPoint(110, 55, 105), 90), default);
        var state = (await store.ReadAsync(key, ListOrder.Arrival, null, 0, 0, default)).State!;
        Assert.Equal(120u, state.UidNext);
        Assert.Equal(60ul, state.HighestModSeq);
        Assert.Equal(110, state.Exists);
        Assert.Equal(80u, state.FillFloor);
        Assert.False(state.Complete);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_new_generation_drops_the_old_one(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var key = await SeededAsync(store, Summary(1), Summary(2));
        var next = key with { UidValidity = key.UidValidity + 1 };
        Assert.True(await store.CreateAsync(next, new CacheState(next.UidValidity, 1, 1, 0, 1, 0), default));

        Assert.Null((await store.ReadAsync(key, ListOrder.Arrival, null, 0, 10, default)).State);
        Assert.False(await store.ApplyAsync(key, new CacheChange([Summary(3)], [], null), default));
        var states = await store.GetStatesAsync([key, next], default);
        Assert.Null(states[0]);
        Assert.NotNull(states[1]);

        await store.DropAsync(key.MailboxId, default);
        Assert.Null((await store.GetStatesAsync([next], default))[0]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task One_fill_lease_at_a_time(string kind)
    {
        var (store, owner) = await CreateAsync(kind);
        await using var _ = owner;
        var key = NewKey();
        Assert.True(await store.TryLeaseFillAsync(key, "a", TimeSpan.FromMinutes(1), default));
        Assert.False(await store.TryLeaseFillAsync(key, "b", TimeSpan.FromMinutes(1), default));
        Assert.True(await store.TryLeaseFillAsync(key, "a", TimeSpan.FromMinutes(1), default));
        await store.ReleaseFillAsync(key, "b", default);
        Assert.False(await store.TryLeaseFillAsync(key, "b", TimeSpan.FromMinutes(1), default));
        await store.ReleaseFillAsync(key, "a", default);
        Assert.True(await store.TryLeaseFillAsync(key, "b", TimeSpan.FromMinutes(1), default));
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

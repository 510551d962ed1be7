using Gateway.Core.Accounts;
using Gateway.Core.Imap;
using Gateway.Core.Mailboxes;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;
using Gateway.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Core;

public static class GatewayCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gateway's Core services: validated options, the IMAP session pool, the shared store (Redis when
    /// <c>Redis:Configuration</c> is set, else in process), sessions and mailboxes. The host must also register an
    /// <see cref="ISecretProtector"/>.
    /// </summary>
    public static IServiceCollection AddGatewayCore(this IServiceCollection services)
    {
        services.AddOptions<ImapOptions>().BindConfiguration(ImapOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PoolOptions>().BindConfiguration(PoolOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MessageCacheOptions>().BindConfiguration(MessageCacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Push.PushOptions>().BindConfiguration(Push.PushOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AppendOptions>().BindConfiguration(AppendOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);

        // Redis or in process is decided when the options are read, so every configuration source counts.
        services.AddSingleton<RedisConnection>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
        services.AddSingleton<IKeyValueStore>(sp => sp.GetRequiredService<IOptions<RedisOptions>>().Value.Enabled
            ? new RedisKeyValueStore(sp.GetRequiredService<RedisConnection>())
            : new MemoryKeyValueStore(sp.GetRequiredService<TimeProvider>()));

        services.AddSingleton<IImapClientFactory, ImapClientFactory>();
        services.AddSingleton<ImapSessionPool>();
        services.AddSingleton<IImapSessionPool>(sp => sp.GetRequiredService<ImapSessionPool>());

        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<MailboxDirectory>();
        services.AddSingleton<MailboxService>();

        // The header cache: Redis when configured, else in process; same choice as the key-value store.
        services.AddSingleton<CacheMetrics>();
        services.AddSingleton<IMessageCacheStore>(sp => sp.GetRequiredService<IOptions<RedisOptions>>().Value.Enabled
            ? ActivatorUtilities.CreateInstance<RedisMessageCacheStore>(sp)
            : ActivatorUtilities.CreateInstance<MemoryMessageCacheStore>(sp));
        services.AddSingleton<MailboxFreshness>();
        services.AddSingleton<FreshnessChecks>();
        services.AddSingleton<MailboxSynchronizer>();
        services.AddSingleton<WriteCacheSync>();
        services.AddSingleton<MailboxFiller>();
        services.AddHostedService(sp => sp.GetRequiredService<MailboxFiller>());
        services.AddSingleton<MessageListService>();
        services.AddSingleton<Changes.MailboxChangesService>();
        services.AddSingleton<Changes.MailboxListChangesService>();
        services.AddSingleton<MessageReader>();
        services.AddSingleton<Messages.Writes.MessageWriter>();

        // Push: the account event log (Redis stream + pub/sub, or in process), one watcher per account in the cluster.
        services.AddSingleton<Push.IEventBus>(sp => sp.GetRequiredService<IOptions<RedisOptions>>().Value.Enabled
            ? ActivatorUtilities.CreateInstance<Push.RedisEventBus>(sp)
            : ActivatorUtilities.CreateInstance<Push.MemoryEventBus>(sp));
        services.AddSingleton<Push.PushWatchers>();
        services.AddHostedService(sp => sp.GetRequiredService<Push.PushWatchers>());
        services.AddSingleton<Push.EventTickets>();

        // Uploads: idempotency records in Redis when configured, else in process (same semantics, one instance).
        services.AddSingleton<Idempotency.IIdempotencyStore>(sp => sp.GetRequiredService<IOptions<RedisOptions>>().Value.Enabled
            ? new Idempotency.RedisIdempotencyStore(sp.GetRequiredService<RedisConnection>())
            : new Idempotency.MemoryIdempotencyStore(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<MessageAppender>();
        return services;
    }
}

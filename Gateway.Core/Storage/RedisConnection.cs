using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Core.Storage;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/> (PITFALLS 14), created when the host starts and configured to
/// fail fast while Redis is down (PITFALLS 15) so callers can fall back to IMAP instead of stalling. Redis being down
/// at start does not stop the gateway: the multiplexer keeps reconnecting in the background.
/// </summary>
public sealed partial class RedisConnection : IHostedService, IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly ILogger<RedisConnection> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;

    public RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
        _multiplexer = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public RedisOptions Options => _options;

    /// <summary>The multiplexer; throws when used before the host started.</summary>
    public IConnectionMultiplexer Multiplexer =>
        _multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully
            ? _multiplexer.Value.Result
            : throw new InvalidOperationException("Redis is used before the host started.");

    /// <summary>True when Redis is configured at all.</summary>
    public bool Enabled => _options.Enabled;

    public Task StartAsync(CancellationToken cancellationToken) => Enabled ? _multiplexer.Value : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The key prefix, e.g. <c>gw:</c>.</summary>
    public string Prefix => _options.KeyPrefix;

    /// <summary>True while the multiplexer has a live connection.</summary>
    public bool IsConnected => _multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully && _multiplexer.Value.Result.IsConnected;

    /// <summary>The database, connecting on first use.</summary>
    public async Task<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            throw new InvalidOperationException("Redis is not configured.");
        }

        var mux = await _multiplexer.Value.WaitAsync(cancellationToken);
        return mux.GetDatabase();
    }

    /// <summary>Runs one Redis operation bounded by <see cref="RedisOptions.OperationTimeout"/> (the client takes no
    /// token, PITFALLS 16); any Redis failure becomes <see cref="StoreUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var db = await GetDatabaseAsync(cancellationToken).WaitAsync(_options.OperationTimeout, cancellationToken);
            return await operation(db).WaitAsync(_options.OperationTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new StoreUnavailableException("Redis did not answer.", ex);
        }
    }

    /// <summary>The multiplexer, connecting on first use (for pub/sub and server commands).</summary>
    public Task<ConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken) =>
        _multiplexer.Value.WaitAsync(cancellationToken);

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var config = ConfigurationOptions.Parse(_options.Configuration!);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = (int)Math.Max(_options.OperationTimeout.TotalMilliseconds * 3, 1000);
        config.AsyncTimeout = (int)Math.Max(_options.OperationTimeout.TotalMilliseconds, 10);
        config.SyncTimeout = config.AsyncTimeout;
        config.ClientName ??= "imap-gateway";
        var mux = await ConnectionMultiplexer.ConnectAsync(config);
        mux.ConnectionFailed += (_, e) => LogConnectionFailed(e.EndPoint, e.FailureType);
        mux.ConnectionRestored += (_, e) => LogConnectionRestored(e.EndPoint);
        LogConnected(config.ToString(includePassword: false), mux.IsConnected);
        return mux;
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis multiplexer created for {Configuration}; connected: {Connected}")]
    private partial void LogConnected(string configuration, bool connected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed ({FailureType}); falling back to IMAP until it returns")]
    private partial void LogConnectionFailed(System.Net.EndPoint? endPoint, ConnectionFailureType failureType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored")]
    private partial void LogConnectionRestored(System.Net.EndPoint? endPoint);
}

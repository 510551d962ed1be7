using Gateway.Core.Errors;

namespace Gateway.Core.Imap;

/// <content>Running an operation on a leased connection: retry on a dead connection, caller cancellation.</content>
public sealed partial class ImapSessionPool
{
    /// <inheritdoc />
    /// <remarks>
    /// <para>The operation receives a token that only <see cref="PoolOptions.OperationTimeout"/> cancels, never the
    /// caller's: cancelling MailKit mid-command kills the connection (PITFALLS 3). The caller gets control back at once
    /// through <see cref="Task.WaitAsync(CancellationToken)"/>; the operation finishes in the background and its lease
    /// is returned then.</para>
    /// <para>When a reused connection fails at the connection level (<see cref="IOException"/>,
    /// <see cref="MailKit.Net.Imap.ImapProtocolException"/>, <see cref="MailKit.ServiceNotConnectedException"/>,
    /// <see cref="System.Net.Sockets.SocketException"/>) and <see cref="ImapOperationOptions.Retryable"/> is set, the
    /// connection is discarded and the operation runs once more on a fresh one.</para>
    /// <para>Failures are translated: <see cref="TimeoutException"/> or the operation timeout to
    /// <see cref="UpstreamTimeoutException"/>; I/O errors to <see cref="UpstreamUnavailableException"/>; protocol errors
    /// to <see cref="UpstreamProtocolException"/>. <see cref="MailKit.Net.Imap.ImapCommandException"/> (NO/BAD, the
    /// connection stays pooled) and <see cref="GatewayException"/> pass through.</para>
    /// </remarks>
    public Task<T> ExecuteAsync<T>(
        ImapAccount account,
        Func<ImapLease, CancellationToken, Task<T>> operation,
        ImapOperationOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var work = ExecuteCoreAsync(account, operation, options, cancellationToken);
        if (!cancellationToken.CanBeCanceled || work.IsCompleted)
        {
            return work;
        }

        // If the caller leaves, nobody awaits the work: observe its outcome so it is not an unobserved exception.
        _ = work.ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return work.WaitAsync(cancellationToken);
    }

    private async Task<T> ExecuteCoreAsync<T>(
        ImapAccount account,
        Func<ImapLease, CancellationToken, Task<T>> operation,
        ImapOperationOptions options,
        CancellationToken cancellationToken)
    {
        bool forceFresh = false;
        while (true)
        {
            // Waiting for a connection may be abandoned at any time: nothing is in flight yet.
            var lease = await AcquireCoreAsync(account, options.Mailbox, forceFresh, cancellationToken);
            await using (lease)
            {
                using var hardLimit = new CancellationTokenSource(_options.OperationTimeout, _timeProvider);
                try
                {
                    return await operation(lease, hardLimit.Token);
                }
                catch (Exception ex) when (ImapErrors.IsConnectionFailure(ex))
                {
                    lease.Discard();
                    if (options.Retryable && !lease.IsFresh && !forceFresh)
                    {
                        _logger.RetryingOnFreshConnection(account.Key, lease.Connection.Id, ex.GetType().Name);
                        forceFresh = true;
                        continue;
                    }

                    throw ImapErrors.Translate(ex, account.Key)!;
                }
                catch (TimeoutException ex)
                {
                    lease.Discard();
                    throw ImapErrors.Translate(ex, account.Key)!;
                }
                catch (OperationCanceledException ex) when (hardLimit.IsCancellationRequested)
                {
                    lease.Discard();
                    throw new UpstreamTimeoutException(
                        $"The IMAP operation did not finish within {_options.OperationTimeout.TotalSeconds:0.###} s.", ex);
                }
            }
        }
    }
}

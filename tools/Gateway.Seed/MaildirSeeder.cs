using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Seed;

/// <summary>
/// Seeds a local Dovecot Maildir mailbox: writes finished files in parallel, then lets Dovecot pick them up
/// (<c>doveadm force-resync</c>) and build its index and cache (<c>doveadm index</c>).
/// </summary>
internal sealed class MaildirSeeder(SeedOptions options, Doveadm doveadm)
{
    /// <summary>Returns null when the mailbox was not empty and <see cref="SeedOptions.IfEmpty"/> is set.</summary>
    public async Task<SeedResult?> RunAsync(MessageGenerator generator, IReadOnlyList<CorpusMessage> corpus, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var phases = new List<(string, TimeSpan)>();

        await doveadm.CreateMailboxAsync(options.User, options.Mailbox, cancellationToken);
        if (options.IfEmpty && await doveadm.GetMessageCountAsync(options.User, options.Mailbox, cancellationToken) > 0)
        {
            return null;
        }

        var writer = new MaildirWriter(await doveadm.GetMailboxPathAsync(options.User, options.Mailbox, cancellationToken));

        var phase = Stopwatch.StartNew();
        await WriteGeneratedAsync(generator, writer, cancellationToken);
        WriteCorpus(corpus, writer, generator.LastArrival.ToUnixTimeSeconds() + 1, generator.Count);
        phases.Add(("write", phase.Elapsed));

        phase.Restart();
        await doveadm.ForceResyncAsync(options.User, options.Mailbox, cancellationToken);
        phases.Add(("resync", phase.Elapsed));

        if (options.Index)
        {
            phase.Restart();
            await doveadm.IndexAsync(options.User, options.Mailbox, cancellationToken);
            phases.Add(("index", phase.Elapsed));
        }

        return new SeedResult(generator.Count, corpus.Count, total.Elapsed, phases);
    }

    private async Task WriteGeneratedAsync(MessageGenerator generator, MaildirWriter writer, CancellationToken cancellationToken)
    {
        // Generation runs on every core; one thread does the file system work. Several writers in one folder spin on
        // the directory locks (tmp/ and cur/) and the file system's rename lock, which cost more than they gain.
        using var queue = new BlockingCollection<Rendered>(boundedCapacity: 512);
        var writing = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var item in queue.GetConsumingEnumerable(cancellationToken))
                    {
                        writer.Write(item.Buffer.AsSpan(0, item.Length), item.InternalDate, item.InternalDate.ToUnixTimeSeconds(), item.Index, item.Flags);
                        ArrayPool<byte>.Shared.Return(item.Buffer);
                    }
                }
                finally
                {
                    // On failure this releases the generators, which stop at their next message.
                    queue.CompleteAdding();
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken };
        Parallel.For(
            0,
            generator.Count,
            parallel,
            () => new MemoryStream(64 * 1024),
            (index, state, stream) =>
            {
                var message = generator.Generate(index);
                stream.SetLength(0);
                MessageSerializer.Write(message, stream);
                var length = (int)stream.Length;
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                stream.GetBuffer().AsSpan(0, length).CopyTo(buffer);
                if (!TryEnqueue(queue, new Rendered(buffer, length, message.InternalDate, message.Flags, index), cancellationToken))
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    state.Stop();
                }

                return stream;
            },
            stream => stream.Dispose());

        queue.CompleteAdding();
        await writing;
    }

    private static bool TryEnqueue(BlockingCollection<Rendered> queue, Rendered item, CancellationToken cancellationToken)
    {
        try
        {
            return queue.TryAdd(item, Timeout.Infinite, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // The writer failed and closed the queue; awaiting it rethrows the cause.
            return false;
        }
    }

    private readonly record struct Rendered(byte[] Buffer, int Length, DateTimeOffset InternalDate, MailKit.MessageFlags Flags, int Index);

    private static void WriteCorpus(IReadOnlyList<CorpusMessage> corpus, MaildirWriter writer, long firstOrderKey, int firstSequence)
    {
        // File order, not Date order: UIDs follow the sorted file names. The bytes go to disk untouched.
        for (var i = 0; i < corpus.Count; i++)
        {
            var message = corpus[i];
            writer.Write(message.Content, message.InternalDate, firstOrderKey + i, firstSequence + i, MailKit.MessageFlags.None);
        }
    }
}

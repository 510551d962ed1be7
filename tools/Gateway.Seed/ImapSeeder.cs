using System.Diagnostics;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace Gateway.Seed;

/// <summary>
/// Seeds any IMAP server through APPEND (MULTIAPPEND batches where the server has it). Slower than writing Maildir
/// files, and corpus messages are re-serialised by MimeKit, so their bytes may differ from the files.
/// </summary>
internal sealed class ImapSeeder(SeedOptions options)
{
    public async Task<SeedResult?> RunAsync(MessageGenerator generator, IReadOnlyList<CorpusMessage> corpus, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        using var client = new ImapClient();
        if (options.AllowInvalidCertificates)
        {
            // Explicit opt-in for test servers with self-signed certificates.
#pragma warning disable CA5359
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        await client.ConnectAsync(options.Host, options.Port, options.Security, cancellationToken);
        await client.AuthenticateAsync(options.User, options.Password ?? string.Empty, cancellationToken);
        var folder = await GetOrCreateFolderAsync(client, options.Mailbox, cancellationToken);

        await folder.StatusAsync(StatusItems.Count, cancellationToken);
        if (options.IfEmpty && folder.Count > 0)
        {
            await client.DisconnectAsync(true, cancellationToken);
            return null;
        }

        var phase = Stopwatch.StartNew();
        var batch = new IAppendRequest[options.BatchSize];
        for (var start = 0; start < generator.Count; start += batch.Length)
        {
            var size = Math.Min(batch.Length, generator.Count - start);
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken };
            Parallel.For(0, size, parallel, i =>
            {
                var message = generator.Generate(start + i);
                batch[i] = new AppendRequest(message.Message, message.Flags, message.InternalDate);
            });
            await folder.AppendAsync(batch[..size], cancellationToken);
        }

        var generatedTime = phase.Elapsed;
        phase.Restart();

        // One at a time: a server may reject single corpus messages (NUL bytes, broken headers) and that must not
        // take a whole batch with it.
        var rejected = 0;
        foreach (var entry in corpus)
        {
            try
            {
                using var stream = new MemoryStream(entry.Content, writable: false);
                var message = await MimeMessage.LoadAsync(stream, cancellationToken);
                await folder.AppendAsync(new AppendRequest(message, MessageFlags.None, entry.InternalDate), cancellationToken);
            }
            catch (Exception e) when (e is ImapCommandException or FormatException)
            {
                // FormatException: MimeKit cannot parse it (no header block), so it cannot be APPENDed through MailKit.
                rejected++;
                await Console.Error.WriteLineAsync($"seed: {entry.FileName} rejected: {e.Message}");
            }
        }

        await client.DisconnectAsync(true, cancellationToken);
        return new SeedResult(generator.Count, corpus.Count - rejected, total.Elapsed, [("append", generatedTime), ("corpus", phase.Elapsed)])
        {
            Skipped = rejected,
        };
    }

    private static async Task<IMailFolder> GetOrCreateFolderAsync(ImapClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetFolderAsync(path, cancellationToken);
        }
        catch (FolderNotFoundException)
        {
        }

        IMailFolder parent = client.GetFolder(client.PersonalNamespaces[0]) ?? throw new FolderNotFoundException(path);
        foreach (var name in path.Split(parent.DirectorySeparator))
        {
            var subfolders = await parent.GetSubfoldersAsync(false, cancellationToken);
            parent = subfolders.FirstOrDefault(f => f.Name == name)
                ?? await parent.CreateAsync(name, true, cancellationToken)
                ?? throw new FolderNotFoundException(path);
        }

        return parent;
    }
}

using System.Diagnostics;
using System.Text;
using Gateway.Seed;

// Legacy charsets (koi8-r, gb2312, iso-2022-jp) for generated text parts.
Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

// Fills a mailbox fast: see SeedOptions.Usage, or run with --help.
SeedOptions? options;
try
{
    options = SeedOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"seed: {e.Message}\n\n{SeedOptions.Usage}");
    return 2;
}

if (options is null)
{
    Console.WriteLine(SeedOptions.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    var prepare = Stopwatch.StartNew();
    var generator = new MessageGenerator(options.Seed, options.Count, options.User);
    var corpus = options.CorpusDirectory is null
        ? []
        : CorpusReader.Load(options.CorpusDirectory, generator.LastArrival.AddDays(1));

    var result = options.ViaImap
        ? await new ImapSeeder(options).RunAsync(generator, corpus, cancellation.Token)
        : await new MaildirSeeder(options, new Doveadm(options.DovecotConfig)).RunAsync(generator, corpus, cancellation.Token);

    Console.WriteLine(result is null
        ? $"seed: {options.User}/{options.Mailbox} already has messages; nothing to do (--if-empty)"
        : (result with { Elapsed = prepare.Elapsed }).Summary(options.User, options.Mailbox));
    return 0;
}
catch (OperationCanceledException)
{
    await Console.Error.WriteLineAsync("seed: cancelled");
    return 130;
}
catch (Exception e) when (e is DoveadmException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException
                               or MailKit.ProtocolException or MailKit.CommandException or MailKit.Security.AuthenticationException)
{
    // Expected failures (server down, bad password, doveadm error): the message says it all.
    await Console.Error.WriteLineAsync($"seed: {e.Message}");
    return 1;
}

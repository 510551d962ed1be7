using System.Diagnostics;
using System.Globalization;

namespace Gateway.Seed;

/// <summary>A doveadm command that exited non-zero.</summary>
internal sealed class DoveadmException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Runs <c>doveadm -c CONFIG ...</c> for one local Dovecot instance.</summary>
internal sealed class Doveadm(string configPath, string executable = "doveadm")
{
    public string ConfigPath { get; } = configPath;

    /// <summary>Creates the mailbox (and its parents) unless it exists.</summary>
    public async Task CreateMailboxAsync(string user, string mailbox, CancellationToken cancellationToken)
    {
        try
        {
            _ = await RunAsync(["mailbox", "create", "-u", user, mailbox], cancellationToken);
        }
        catch (DoveadmException e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
        }
    }

    /// <summary>The mailbox's directory on disk (with LAYOUT=index a GUID-named folder).</summary>
    public async Task<string> GetMailboxPathAsync(string user, string mailbox, CancellationToken cancellationToken) =>
        (await RunAsync(["mailbox", "path", "-u", user, mailbox], cancellationToken)).Trim();

    /// <summary>The number of messages in the mailbox.</summary>
    public async Task<int> GetMessageCountAsync(string user, string mailbox, CancellationToken cancellationToken)
    {
        // Flow format prints "<mailbox> messages=N"; the mailbox name may contain spaces, so read the last token.
        var output = await RunAsync(["-f", "flow", "mailbox", "status", "-u", user, "messages", mailbox], cancellationToken);
        const string Key = "messages=";
        var at = output.LastIndexOf(Key, StringComparison.Ordinal);
        return at >= 0 && int.TryParse(output.AsSpan(at + Key.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new DoveadmException($"Unexpected doveadm mailbox status output: {output.Trim()}", 0);
    }

    /// <summary>Makes Dovecot rescan the folder and assign UIDs to the files written behind its back.</summary>
    public Task ForceResyncAsync(string user, string mailbox, CancellationToken cancellationToken) =>
        RunAsync(["force-resync", "-u", user, mailbox], cancellationToken);

    /// <summary>Fills the index and cache (headers, BODYSTRUCTURE) so the first IMAP FETCH is fast.</summary>
    public Task IndexAsync(string user, string mailbox, CancellationToken cancellationToken) =>
        RunAsync(["index", "-u", user, mailbox], cancellationToken);

    private async Task<string> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(ConfigPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0)
        {
            var command = string.Join(' ', startInfo.ArgumentList);
            throw new DoveadmException($"{executable} {command} exited with {process.ExitCode}: {errors.Trim()}", process.ExitCode);
        }

        return output;
    }
}

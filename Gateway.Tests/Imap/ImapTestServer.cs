using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.Core.Imap;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Imap;

/// <summary>The local Dovecot started by <c>scripts/mailenv.sh up</c>: addresses, fresh users, server-side checks.</summary>
public static class ImapTestServer
{
    public static string Host => MailEnvironment.ImapHost;

    public static int Port => MailEnvironment.ImapPort;

    public static int TlsPort => MailEnvironment.ImapsPort;

    public static string DovecotConf => MailEnvironment.DovecotConfig;

    /// <summary>Every user named <c>t-*</c> logs in with this password.</summary>
    public static string TestPassword => MailEnvironment.TestPassword;

    /// <summary>A user no other test touches (Dovecot creates its mailbox on first login).</summary>
    public static string NewUser() => MailEnvironment.NewUser();

    public static ImapAccount NewAccount(ImapSecurity security = ImapSecurity.None, int? port = null, string? password = null) =>
        Account(NewUser(), security, port, password);

    public static ImapAccount Account(string user, ImapSecurity security = ImapSecurity.None, int? port = null, string? password = null) =>
        new(new ImapAccountKey(Host, port ?? Port, security, user, ImapAuthMethod.Password), password ?? TestPassword);

    /// <summary>A factory for the test server, connecting from a loopback source address of its own.</summary>
    /// <remarks>Dovecot's auth penalty after a failed login is per source IP, outlives a test run and delays every later
    /// login from that IP by seconds, whoever makes it (other suites against the same server fail logins on purpose too).
    /// Linux routes all of 127/8 to lo, so each factory picks a random 127.x.y.z: no test slows another down.</remarks>
    public static ImapClientFactory Factory(bool allowInvalidCertificates = false) =>
        new(
            Options.Create(new ImapOptions
            {
                Host = Host,
                Port = Port,
                Security = ImapSecurity.None,
                AllowInvalidCertificates = allowInvalidCertificates,
                ConnectTimeout = TimeSpan.FromSeconds(3),
                CommandTimeout = TimeSpan.FromSeconds(10),
            }),
            NullLogger<ImapClientFactory>.Instance)
        {
            LocalEndPoint = new IPEndPoint(RandomLoopbackAddress(), 0),
        };

    private static IPAddress RandomLoopbackAddress() =>
        new([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);

    public static ImapSessionPool Pool(PoolOptions? options = null, TimeProvider? timeProvider = null, IImapClientFactory? factory = null) =>
        new(
            factory ?? Factory(allowInvalidCertificates: true),
            Options.Create(options ?? new PoolOptions()),
            timeProvider ?? TimeProvider.System,
            NullLogger<ImapSessionPool>.Instance);

    /// <summary>Connections Dovecot holds for <paramref name="user"/>: <c>doveadm who -1 user</c> prints a header and
    /// then one line per connection (<c>username proto pid ip</c>).</summary>
    public static async Task<int> CountServerConnectionsAsync(string user)
    {
        string output = await DoveadmAsync("who", "-1", user);
        return output.Split('\n').Count(line => line.StartsWith(user + " ", StringComparison.Ordinal));
    }

    /// <summary>Polls the server until <paramref name="user"/> has <paramref name="expected"/> connections.</summary>
    public static async Task<int> WaitForServerConnectionsAsync(string user, int expected, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(3));
        int count;
        while ((count = await CountServerConnectionsAsync(user)) != expected && DateTime.UtcNow < until)
        {
            await Task.Delay(25);
        }

        return count;
    }

    /// <summary>Drops every connection of <paramref name="user"/> on the server side.</summary>
    public static async Task KickAsync(string user)
    {
        await DoveadmAsync("kick", user);
        Assert.Equal(0, await WaitForServerConnectionsAsync(user, 0));
    }

    public static async Task<string> DoveadmAsync(params string[] args)
    {
        var start = new ProcessStartInfo("doveadm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(DovecotConf);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("doveadm did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"doveadm {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MailKit;
using Microsoft.Win32.SafeHandles;

namespace Gateway.Seed;

/// <summary>
/// Writes finished messages straight into a Maildir folder the way a delivery agent would: into <c>tmp/</c>, then a
/// rename into <c>cur/</c> under a Dovecot-style name (<c>secs.Musecs P pid Q n . host ,S=size,W=vsize :2,flags</c>)
/// with the file's mtime set to the INTERNALDATE and, when running as root, the mail user as owner.
/// Dovecot numbers new files by the time stamp in their name, so the order key decides the UID order.
/// Safe to call from several threads at once.
/// </summary>
internal sealed partial class MaildirWriter
{
    private readonly string tmpDirectory;
    private readonly string curDirectory;
    private readonly (uint Uid, uint Gid)? owner;
    private readonly string uniqueSuffix;

    public MaildirWriter(string mailboxDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(mailboxDirectory);
        if (!Directory.Exists(mailboxDirectory))
        {
            throw new DirectoryNotFoundException($"Mailbox directory {mailboxDirectory} does not exist.");
        }

        owner = FileOwner(mailboxDirectory);
        tmpDirectory = EnsureDirectory(Path.Combine(mailboxDirectory, "tmp"));
        curDirectory = EnsureDirectory(Path.Combine(mailboxDirectory, "cur"));
        _ = EnsureDirectory(Path.Combine(mailboxDirectory, "new"));

        // P<pid> plus a per-run token keeps names unique across runs into the same folder.
        var host = new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]);
        uniqueSuffix = string.Create(CultureInfo.InvariantCulture, $"P{Environment.ProcessId}R{Random.Shared.Next(0x10000):x4}Q");
        Host = host.Length == 0 ? "localhost" : host;
    }

    private string Host { get; }

    /// <summary>Writes one message; returns the final file name.</summary>
    /// <param name="content">The message bytes, stored exactly as given.</param>
    /// <param name="internalDate">INTERNALDATE (file mtime).</param>
    /// <param name="orderKey">Unix seconds used in the file name; strictly increasing keys give increasing UIDs.</param>
    /// <param name="sequence">A number unique within this run.</param>
    /// <param name="flags">System flags.</param>
    public string Write(ReadOnlySpan<byte> content, DateTimeOffset internalDate, long orderKey, int sequence, MessageFlags flags)
    {
        var size = content.Length;
        var virtualSize = VirtualSize(content);
        var baseName = string.Create(CultureInfo.InvariantCulture,
            $"{orderKey}.M{sequence % 1_000_000:D6}{uniqueSuffix}{sequence}.{Host},S={size},W={virtualSize}");
        var tmpPath = Path.Combine(tmpDirectory, baseName);
        var curPath = Path.Combine(curDirectory, $"{baseName}:2,{MaildirFlags(flags)}");

        using (var handle = File.OpenHandle(tmpPath, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.Write(handle, content, 0);
            if (owner is { } o)
            {
                ChangeOwner(handle, o.Uid, o.Gid);
            }

            File.SetLastWriteTimeUtc(handle, internalDate.UtcDateTime);
        }

        // rename(2) directly: File.Move adds three lstat calls per file to check what Maildir names already rule out.
        if (Rename(tmpPath, curPath) != 0)
        {
            throw new IOException($"rename {tmpPath} -> {curPath} failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return Path.GetFileName(curPath);
    }

    /// <summary>Size with every bare LF counted as CRLF: what IMAP RFC822.SIZE reports (Dovecot's W=).</summary>
    public static long VirtualSize(ReadOnlySpan<byte> content) =>
        content.Length + content.Count((byte)'\n') - content.Count("\r\n"u8);

    /// <summary>Maildir info flags, in ASCII order as the Maildir convention requires.</summary>
    public static string MaildirFlags(MessageFlags flags)
    {
        var letters = new StringBuilder(5);
        if (flags.HasFlag(MessageFlags.Draft))
        {
            letters.Append('D');
        }

        if (flags.HasFlag(MessageFlags.Flagged))
        {
            letters.Append('F');
        }

        if (flags.HasFlag(MessageFlags.Answered))
        {
            letters.Append('R');
        }

        if (flags.HasFlag(MessageFlags.Seen))
        {
            letters.Append('S');
        }

        if (flags.HasFlag(MessageFlags.Deleted))
        {
            letters.Append('T');
        }

        return letters.ToString();
    }

    private string EnsureDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
            if (owner is { } o && Chown(path, o.Uid, o.Gid) != 0)
            {
                throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }

        return path;
    }

    private static void ChangeOwner(SafeFileHandle handle, uint uid, uint gid)
    {
        if (FileChown((int)handle.DangerousGetHandle(), uid, gid) != 0)
        {
            throw new IOException($"fchown failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Owner to give new files: the mailbox directory's owner, when we are root and it is someone else.</summary>
    private static (uint Uid, uint Gid)? FileOwner(string directory)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return null;
        }

        // No managed API returns a file's owner; stat(1) is simpler than marshalling struct stat.
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u %g", directory])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start stat(1).");
        var output = stat.StandardOutput.ReadToEnd().Trim().Split(' ');
        stat.WaitForExit();
        if (stat.ExitCode != 0 || output.Length != 2)
        {
            throw new IOException($"stat {directory} failed.");
        }

        var uid = uint.Parse(output[0], CultureInfo.InvariantCulture);
        var gid = uint.Parse(output[1], CultureInfo.InvariantCulture);
        return uid == 0 ? null : (uid, gid);
    }

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FileChown(int fd, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}

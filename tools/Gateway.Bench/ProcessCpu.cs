using System.Globalization;

namespace Gateway.Bench;

/// <summary>CPU time (user + system, from /proc) of the gateway process and of the Dovecot master's children (the imap
/// processes, living and reaped), to tell which side a request's time is spent on.</summary>
internal readonly record struct CpuSample(double GatewaySeconds, double DovecotSeconds)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuSample Take(int gatewayPid, int dovecotPid)
    {
        double gateway = 0, dovecot = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // pid (comm) state ppid ... utime(14) stime(15): comm may hold spaces, so split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            var seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            if (pid == gatewayPid)
            {
                gateway += seconds;
            }
            else if (dovecotPid > 0 && ppid == dovecotPid)
            {
                dovecot += seconds;
            }
            else if (pid == dovecotPid)
            {
                // cutime(16) + cstime(17): the children that ended and were reaped, so a sample stays monotonic
                // when an imap process exits between two samples (without it, phases after a pool change showed
                // negative Dovecot CPU).
                dovecot += (double.Parse(fields[13], CultureInfo.InvariantCulture) + double.Parse(fields[14], CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
        }

        return new CpuSample(gateway, dovecot);
    }

    public static CpuSample operator -(CpuSample after, CpuSample before) =>
        new(after.GatewaySeconds - before.GatewaySeconds, after.DovecotSeconds - before.DovecotSeconds);
}

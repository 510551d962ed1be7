using System.Globalization;
using System.Runtime.InteropServices;

namespace Gateway.Bench;

/// <summary>What the figures were measured on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Memory, string Os, string DotNet, string Date, string Commit, string Tools, string Load)
{
    public static MachineInfo Collect()
    {
        var cpu = Lines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = Lines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = memKb is null ? "unknown" : (double.Parse(memKb, CultureInfo.InvariantCulture) / 1048576).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
        var os = Lines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? RuntimeInformation.OSDescription;
        var kernel = Lines("/proc/sys/kernel/osrelease").FirstOrDefault() ?? string.Empty;
        var sdk = Environment.GetEnvironmentVariable("BENCH_DOTNET_SDK");
        return new MachineInfo(
            cpu,
            Environment.ProcessorCount,
            memory,
            $"{os}, Linux {kernel}",
            RuntimeInformation.FrameworkDescription + (string.IsNullOrEmpty(sdk) ? string.Empty : $" (SDK {sdk})"),
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Environment.GetEnvironmentVariable("BENCH_GIT_COMMIT") ?? "unknown",
            Environment.GetEnvironmentVariable("BENCH_TOOLS") ?? string.Empty,
            Environment.GetEnvironmentVariable("BENCH_LOADAVG") ?? string.Empty);
    }

    private static IEnumerable<string> Lines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}

using MimeKit;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The real-world messages in <c>../shared/corpus/real/</c> (override with <c>GATEWAY_CORPUS_DIR</c>) and their
/// independently computed facts in <c>manifest.tsv</c>. Tests using it return early (pass) when the folder is absent,
/// since the project's own users will not have it.
/// </summary>
public static class Corpus
{
    /// <summary>The folder of .eml files, or null when it is not on this machine.</summary>
    public static string? Directory { get; } = Locate();

    public static bool Available => Directory is not null;

    /// <summary>One row of the manifest.</summary>
    public sealed record Entry(string File, string ContentType, int Attachments, string Features, long Size)
    {
        public string FullPath => Path.Combine(Directory!, File);

        public byte[] Bytes() => System.IO.File.ReadAllBytes(FullPath);
    }

    /// <summary>Every manifest row whose file exists, in manifest order.</summary>
    public static IReadOnlyList<Entry> Entries { get; } = Load();

    /// <summary>Every top-level header of every corpus message that <paramref name="match"/> accepts; messages whose
    /// header block MimeKit cannot parse at all are skipped.</summary>
    public static List<Header> Headers(Func<Header, bool> match)
    {
        var headers = new List<Header>();
        foreach (var entry in Entries)
        {
            try
            {
                using var stream = new MemoryStream(entry.Bytes());
                headers.AddRange(HeaderList.Load(stream).Where(match));
            }
            catch (FormatException)
            {
                // Not parsable as headers at all: nothing to compare.
            }
        }

        return headers;
    }

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("GATEWAY_CORPUS_DIR") is { Length: > 0 } configured)
        {
            return System.IO.Directory.Exists(configured) ? configured : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "corpus", "real");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static List<Entry> Load()
    {
        if (Directory is null)
        {
            return [];
        }

        var manifest = Path.Combine(Directory, "..", "manifest.tsv");
        if (!File.Exists(manifest))
        {
            return [];
        }

        var lines = File.ReadAllLines(manifest);
        var header = lines[0].Split('\t');
        int Col(string name) => Array.IndexOf(header, name);
        var (file, type, attachments, features, size) = (Col("file"), Col("content_type"), Col("attachments"), Col("features"), Col("size"));
        var result = new List<Entry>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            var entry = new Entry(f[file], f[type], int.Parse(f[attachments], System.Globalization.CultureInfo.InvariantCulture), f[features], long.Parse(f[size], System.Globalization.CultureInfo.InvariantCulture));
            if (File.Exists(entry.FullPath))
            {
                result.Add(entry);
            }
        }

        return result;
    }
}

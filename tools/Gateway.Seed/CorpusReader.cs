using MimeKit;
using MimeKit.Utils;

namespace Gateway.Seed;

/// <summary>One real-world message file, kept byte for byte.</summary>
internal sealed record CorpusMessage(string FileName, byte[] Content, DateTimeOffset InternalDate);

/// <summary>Reads every <c>*.eml</c> file of a folder, in ordinal file-name order.</summary>
internal static class CorpusReader
{
    private static readonly DateTimeOffset Earliest = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2037, 12, 31, 0, 0, 0, TimeSpan.Zero);

    /// <param name="directory">Folder holding the .eml files.</param>
    /// <param name="fallbackDate">INTERNALDATE for files without a usable Date header (one minute apart).</param>
    public static IReadOnlyList<CorpusMessage> Load(string directory, DateTimeOffset fallbackDate)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Corpus folder {directory} does not exist.");
        }

        var files = Directory.GetFiles(directory, "*.eml");
        Array.Sort(files, StringComparer.Ordinal);
        var messages = new List<CorpusMessage>(files.Length);
        foreach (var file in files)
        {
            var content = File.ReadAllBytes(file);
            var date = HeaderDate(content) ?? fallbackDate.AddMinutes(messages.Count);
            messages.Add(new CorpusMessage(Path.GetFileName(file), content, date));
        }

        return messages;
    }

    /// <summary>The Date header as INTERNALDATE, when the message has a parseable, plausible one.</summary>
    private static DateTimeOffset? HeaderDate(byte[] content)
    {
        try
        {
            using var stream = new MemoryStream(content, writable: false);
            var headers = HeaderList.Load(stream);
            var value = headers[HeaderId.Date];
            return value is not null && DateUtils.TryParse(value, out var date) && date > Earliest && date < Latest ? date : null;
        }
        catch (FormatException)
        {
            // Broken or missing header block: the corpus has a few on purpose.
            return null;
        }
    }
}

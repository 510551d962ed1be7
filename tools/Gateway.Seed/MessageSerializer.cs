using MimeKit;

namespace Gateway.Seed;

/// <summary>Writes generated messages with CRLF line endings, as they travel over SMTP and IMAP.</summary>
internal static class MessageSerializer
{
    private static readonly FormatOptions Ascii = Create(international: false);
    private static readonly FormatOptions International = Create(international: true);

    public static void Write(GeneratedMessage message, Stream stream) =>
        message.Message.WriteTo(message.Utf8Headers ? International : Ascii, stream);

    private static FormatOptions Create(bool international)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.International = international;
        return options;
    }
}

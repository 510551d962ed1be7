using System.ComponentModel.DataAnnotations;

namespace Gateway.Core.Messages;

/// <summary>Message uploads (<c>Messages:*</c>).</summary>
public sealed class AppendOptions
{
    public const string SectionName = "Messages";

    /// <summary>The largest message body <c>POST .../messages</c> accepts (bytes as sent over HTTP); larger is 413.</summary>
    [Range(1024, 1L << 31)]
    public long MaxAppendBytes { get; set; } = 25L * 1024 * 1024;
}

using System.Globalization;
using System.Text;
using MailKit;
using MimeKit;
using MimeKit.Utils;

namespace Gateway.Seed;

/// <summary>A rendered message with what the mailbox needs besides its bytes.</summary>
/// <param name="Message">The message.</param>
/// <param name="InternalDate">Arrival time (IMAP INTERNALDATE).</param>
/// <param name="Flags">System flags to store with it.</param>
/// <param name="Utf8Headers">Write headers as raw UTF-8 (RFC 6532) instead of encoded-words.</param>
internal sealed record GeneratedMessage(MimeMessage Message, DateTimeOffset InternalDate, MessageFlags Flags, bool Utf8Headers);

/// <summary>
/// Generates realistic, varied mail for one mailbox, deterministically for a given seed: message <c>i</c> is the
/// same whichever thread renders it and in whichever order, so generation parallelises freely.
/// </summary>
internal sealed class MessageGenerator
{
    /// <summary>Arrival times are spread over this range.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2019, 1, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>End of the default arrival range.</summary>
    public static readonly DateTimeOffset DefaultEnd = new(2025, 9, 30, 18, 0, 0, TimeSpan.Zero);

    private const int PeopleCount = 400;
    private const int MaxReferences = 10;

    private static readonly TimeSpan[] Offsets =
    [
        TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(-5), TimeSpan.FromHours(-8),
        TimeSpan.FromHours(3), TimeSpan.FromHours(9), new(5, 30, 0), TimeSpan.FromHours(8), TimeSpan.FromHours(-3),
    ];

    private readonly int seed;
    private readonly MailboxAddress owner;
    private readonly Person[] people;
    private readonly PlannedMessage[] plans;
    private readonly SyntheticFiles files;
    private readonly string idPrefix;

    public MessageGenerator(int seed, int count, string ownerAddress)
        : this(seed, count, ownerAddress, DefaultStart, DefaultEnd)
    {
    }

    public MessageGenerator(int seed, int count, string ownerAddress, DateTimeOffset start, DateTimeOffset end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentException.ThrowIfNullOrEmpty(ownerAddress);

        this.seed = seed;
        var local = ownerAddress.Split('@')[0];
        owner = new MailboxAddress(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(local.Replace('.', ' ')), ownerAddress);
        people = MessagePlanner.CreatePeople(seed, PeopleCount);
        plans = MessagePlanner.Plan(seed, count, people, start, end);
        files = new SyntheticFiles(seed);
        idPrefix = SeedMath.Mix(seed, -1, 13).ToString("x8", CultureInfo.InvariantCulture);
    }

    public int Count => plans.Length;

    /// <summary>Arrival time of the last generated message (the corpus is filed after it).</summary>
    public DateTimeOffset LastArrival => plans.Length == 0 ? DefaultStart : DateTimeOffset.FromUnixTimeSeconds(plans[^1].ArrivalUnixSeconds);

    public GeneratedMessage Generate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, plans.Length);

        var plan = plans[index];
        var random = new Random(SeedMath.Mix(seed, index, 1));
        var arrival = DateTimeOffset.FromUnixTimeSeconds(plan.ArrivalUnixSeconds);
        var message = new MimeMessage();

        var (from, language) = plan.Kind == MessageKind.Newsletter
            ? (NewsletterSender(plan.Sender), Language.English)
            : (PersonAddress(plan.Sender), plan.Language);

        // Date: when the sender's client sent it (seconds to half an hour before arrival), in the sender's time zone.
        var sent = arrival.AddSeconds(-random.Next(2, 1800)).ToOffset(Offsets[random.Next(Offsets.Length)]);
        // MimeMessage starts with From/Date/Subject/Message-Id placeholders; trace headers go on top, as an MTA prepends them.
        message.Headers.Insert(0, new Header("Received", string.Create(CultureInfo.InvariantCulture,
            $"from mail.{from.Domain} (mail.{from.Domain} [192.0.2.{random.Next(1, 255)}]) by mx.example.test with ESMTPS id {idPrefix}{index:x6} for <{owner.Address}>; {DateUtils.FormatDate(arrival)}")));

        message.From.Add(from);
        message.To.Add(CloneOwner());
        if (plan.Kind == MessageKind.Conversation)
        {
            AddRecipients(message, random, plan);
        }

        message.Subject = Subject(index, random);
        message.Date = sent;
        message.MessageId = MessageId(index);
        if (plan.Parent >= 0)
        {
            message.InReplyTo = MessageId(plan.Parent);
            foreach (var id in References(plan.Parent))
            {
                message.References.Add(id);
            }
        }

        if (plan.Kind == MessageKind.Newsletter)
        {
            message.Headers.Add("List-Id", string.Create(CultureInfo.InvariantCulture, $"{SampleData.Newsletters[plan.Sender].Display} <list{plan.Sender}.{from.Domain}>"));
            message.Headers.Add("List-Unsubscribe", $"<mailto:unsubscribe@{from.Domain}?subject=unsubscribe>, <https://{from.Domain}/unsubscribe>");
            message.Headers.Add("Precedence", "bulk");
        }
        else if (random.Next(2) == 0)
        {
            message.Headers.Add("X-Mailer", SampleData.Mailers[random.Next(SampleData.Mailers.Length)]);
        }

        var parentSender = plan.Parent >= 0 ? PersonAddress(plans[plan.Parent].Sender) : null;
        var (text, html) = Body(random, plan, language, from, parentSender);
        message.Body = BuildBody(random, index, language, text, html, plan.Kind == MessageKind.Newsletter);

        var flags = Flags(random, index);
        var utf8Headers = random.Next(40) == 0;
        return new GeneratedMessage(message, arrival, flags, utf8Headers);
    }

    private MailboxAddress CloneOwner() => new(owner.Name, owner.Address);

    private MailboxAddress PersonAddress(int person) => new(people[person].DisplayName, people[person].Address);

    private static MailboxAddress NewsletterSender(int index)
    {
        var (sender, display, _) = SampleData.Newsletters[index];
        return new MailboxAddress(display, sender);
    }

    private void AddRecipients(MimeMessage message, Random random, PlannedMessage plan)
    {
        if (random.Next(5) == 0)
        {
            message.To.Add(PersonAddress(random.Next(people.Length)));
        }

        if (random.Next(6) == 0)
        {
            var cc = 1 + random.Next(3);
            for (var i = 0; i < cc; i++)
            {
                message.Cc.Add(PersonAddress(random.Next(people.Length)));
            }
        }

        // The previous author of a thread is copied on replies written by someone else.
        if (plan.Parent >= 0 && plans[plan.Parent].Sender != plan.Sender && random.Next(2) == 0)
        {
            message.Cc.Add(PersonAddress(plans[plan.Parent].Sender));
        }
    }

    private string MessageId(int index)
    {
        var plan = plans[index];
        var domain = plan.Kind == MessageKind.Newsletter
            ? SampleData.Newsletters[plan.Sender].Sender.Split('@')[1]
            : people[plan.Sender].Address.Split('@')[1];
        return string.Create(CultureInfo.InvariantCulture, $"{idPrefix}.{index}.{plan.ArrivalUnixSeconds:x}@{domain}");
    }

    private List<string> References(int parent)
    {
        // Root first, then the most recent ancestors, as RFC 5322 suggests when trimming.
        var chain = new List<int>();
        for (var i = parent; i >= 0; i = plans[i].Parent)
        {
            chain.Add(i);
        }

        chain.Reverse();
        if (chain.Count > MaxReferences)
        {
            chain = [chain[0], .. chain[^(MaxReferences - 1)..]];
        }

        return chain.ConvertAll(MessageId);
    }

    private string Subject(int index, Random random)
    {
        var plan = plans[index];
        if (plan.Kind == MessageKind.Newsletter)
        {
            return Fill(SampleData.Newsletters[plan.Sender].Subject, new Random(SeedMath.Mix(seed, index, 2)), plan);
        }

        var root = plans[plan.Root];
        var rootRandom = new Random(SeedMath.Mix(seed, plan.Root, 2));
        var templates = SampleData.SubjectTemplates(root.Language);
        var subject = Fill(templates[rootRandom.Next(templates.Length)], rootRandom, root);
        if (rootRandom.Next(10) == 0)
        {
            var emoji = SampleData.Emoji[rootRandom.Next(SampleData.Emoji.Length)];
            subject = rootRandom.Next(2) == 0 ? $"{emoji} {subject}" : $"{subject} {emoji}";
        }

        if (plan.Parent < 0)
        {
            return subject;
        }

        var prefix = SampleData.ReplyPrefix(root.Language);
        return random.Next(12) switch
        {
            0 => $"RE: {subject}",
            1 when plan.Depth > 1 => $"{prefix} {prefix} {subject}",
            _ => $"{prefix} {subject}",
        };
    }

    private static string Fill(string template, Random random, PlannedMessage plan)
    {
        var day = DateTimeOffset.FromUnixTimeSeconds(plan.ArrivalUnixSeconds).AddDays(random.Next(1, 9));
        return template
            .Replace("{project}", SampleData.Projects[random.Next(SampleData.Projects.Length)], StringComparison.Ordinal)
            .Replace("{day}", day.ToString(plan.Language == Language.English ? "ddd d MMM" : "yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{n}", random.Next(1000, 99999).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    private (string Text, string Html) Body(Random random, PlannedMessage plan, Language language, MailboxAddress from, MailboxAddress? quoted)
    {
        var sentences = SampleData.Sentences(language);
        var paragraphs = new List<string>();
        var count = plan.Kind == MessageKind.Newsletter ? 3 + random.Next(5) : 1 + random.Next(4);
        for (var p = 0; p < count; p++)
        {
            var words = new StringBuilder();
            var n = 1 + random.Next(4);
            for (var s = 0; s < n; s++)
            {
                if (s > 0 && language is not (Language.Japanese or Language.Chinese))
                {
                    words.Append(' ');
                }

                words.Append(sentences[random.Next(sentences.Length)]);
            }

            paragraphs.Add(words.ToString());
        }

        var greeting = SampleData.Greeting(language, owner.Name ?? owner.LocalPart);
        var closing = SampleData.Closing(language);
        var signature = string.IsNullOrEmpty(from.Name) ? from.Address : from.Name;
        var useSigDashes = random.Next(3) == 0;

        var text = new StringBuilder();
        text.Append(greeting).Append("\n\n");
        foreach (var paragraph in paragraphs)
        {
            text.Append(Wrap(paragraph, 72)).Append("\n\n");
        }

        text.Append(closing).Append('\n').Append(signature).Append('\n');

        var html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family: sans-serif\">\n");
        html.Append("<p>").Append(Escape(greeting)).Append("</p>\n");
        foreach (var paragraph in paragraphs)
        {
            html.Append("<p>").Append(Escape(paragraph)).Append("</p>\n");
        }

        if (random.Next(4) == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"https://{from.Domain}/docs/{random.Next(100, 999)}\">https://{from.Domain}/docs</a></p>\n");
        }

        html.Append("<p>").Append(Escape(closing)).Append("<br>\n<b>").Append(Escape(signature)).Append("</b></p>\n");

        if (quoted is not null)
        {
            var when = DateTimeOffset.FromUnixTimeSeconds(plans[plan.Parent].ArrivalUnixSeconds).ToString("ddd, d MMM yyyy 'at' HH:mm", CultureInfo.InvariantCulture);
            var who = string.IsNullOrEmpty(quoted.Name) ? quoted.Address : quoted.Name;
            var line1 = sentences[random.Next(sentences.Length)];
            var line2 = sentences[random.Next(sentences.Length)];
            text.Append(CultureInfo.InvariantCulture, $"\nOn {when}, {who} <{quoted.Address}> wrote:\n> {line1}\n>\n> {line2}\n");
            html.Append(CultureInfo.InvariantCulture, $"<div>On {when}, {Escape(who)} &lt;{quoted.Address}&gt; wrote:</div>\n<blockquote style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex\"><p>{Escape(line1)}</p><p>{Escape(line2)}</p></blockquote>\n");
        }

        if (useSigDashes)
        {
            text.Append("\n-- \n").Append(signature).Append('\n').Append(from.Domain).Append('\n');
        }

        html.Append("</body></html>\n");
        return (text.ToString(), html.ToString());
    }

    private MimeEntity BuildBody(Random random, int index, Language language, string text, string html, bool newsletter)
    {
        var boundary = 0;
        string NextBoundary() => string.Create(CultureInfo.InvariantCulture, $"=_seed_{idPrefix}_{index:x}_{boundary++}");

        var shape = newsletter ? 2 : random.Next(20);
        MimeEntity content;
        if (shape < 4)
        {
            content = TextPart("plain", text, language, random);
        }
        else if (shape == 4)
        {
            content = TextPart("html", html, language, random);
        }
        else
        {
            var alternative = new MultipartAlternative { Boundary = NextBoundary() };
            alternative.Add(TextPart("plain", text, language, random));
            alternative.Add(TextPart("html", html, language, random));
            content = alternative;
        }

        // Inline images referenced from the HTML by cid: (multipart/related around the alternative).
        if (content is MultipartAlternative alt && random.Next(16) == 0)
        {
            var related = new MultipartRelated { Boundary = NextBoundary() };
            var htmlPart = (TextPart)alt[1];
            var images = 1 + random.Next(2);
            var tags = new StringBuilder();
            var parts = new List<MimePart>();
            for (var i = 0; i < images; i++)
            {
                var cid = string.Create(CultureInfo.InvariantCulture, $"image{i + 1:D3}.{idPrefix}{index:x}@seed.example");
                var image = Attachment("image", "png", files.Pngs[random.Next(files.Pngs.Count)], string.Create(CultureInfo.InvariantCulture, $"image{i + 1:D3}.png"));
                image.ContentDisposition = new ContentDisposition(ContentDisposition.Inline) { FileName = image.FileName };
                image.ContentId = cid;
                parts.Add(image);
                tags.Append(CultureInfo.InvariantCulture, $"<p><img src=\"cid:{cid}\" alt=\"image {i + 1}\"></p>\n");
            }

            htmlPart.Text = htmlPart.Text.Replace("</body>", tags + "</body>", StringComparison.Ordinal);
            related.Add(alt);
            foreach (var part in parts)
            {
                related.Add(part);
            }

            content = related;
        }

        if (newsletter || random.Next(7) != 0)
        {
            return content;
        }

        var mixed = new Multipart("mixed") { Boundary = NextBoundary() };
        mixed.Add(content);
        var attachments = 1 + (random.Next(4) == 0 ? 1 + random.Next(2) : 0);
        for (var i = 0; i < attachments; i++)
        {
            mixed.Add(RandomAttachment(random));
        }

        return mixed;
    }

    private MimePart RandomAttachment(Random random)
    {
        string name;
        if (random.Next(4) == 0)
        {
            name = SampleData.UnicodeAttachmentNames[random.Next(SampleData.UnicodeAttachmentNames.Length)];
        }
        else
        {
            var names = random.Next(3) switch
            {
                0 => SampleData.PdfAttachmentNames,
                1 => SampleData.ImageAttachmentNames,
                _ => SampleData.TextAttachmentNames,
            };
            name = names[random.Next(names.Length)];
        }

        var part = Path.GetExtension(name) switch
        {
            ".pdf" => Attachment("application", "pdf", files.Pdfs[random.Next(files.Pdfs.Count)], name),
            ".png" => Attachment("image", "png", files.Pngs[random.Next(files.Pngs.Count)], name),
            _ => Attachment("text", "plain", files.Texts[random.Next(files.Texts.Count)], name),
        };

        if (part.ContentType.MediaType == "text")
        {
            part.ContentType.Charset = "utf-8";
        }

        // Non-ASCII names: RFC 2231 (MimeKit's default) most of the time, RFC 2047 encoded-words (Outlook style) otherwise.
        if (name.Any(c => c > 0x7F) && random.Next(3) == 0)
        {
            foreach (var parameter in part.ContentDisposition!.Parameters.Concat(part.ContentType.Parameters))
            {
                if (parameter.Name is "filename" or "name")
                {
                    parameter.EncodingMethod = ParameterEncodingMethod.Rfc2047;
                }
            }
        }

        return part;
    }

    private static MimePart Attachment(string mediaType, string subtype, byte[] data, string fileName) =>
        new(mediaType, subtype)
        {
            Content = new MimeContent(new MemoryStream(data, writable: false)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = fileName,
        };

    private static TextPart TextPart(string subtype, string text, Language language, Random random)
    {
        var part = new TextPart(subtype);
        var charset = "utf-8";
        if (subtype == "plain" && random.Next(5) == 0)
        {
            // Legacy charsets are still common in the wild.
            charset = language switch
            {
                Language.French or Language.German or Language.Spanish => "iso-8859-1",
                Language.Russian => "koi8-r",
                Language.Japanese => "iso-2022-jp",
                Language.Chinese => "gb2312",
                _ => "utf-8",
            };
        }

        part.SetText(charset, text);
        var ascii = text.All(c => c < 0x80);
        part.ContentTransferEncoding = ascii && random.Next(4) != 0
            ? ContentEncoding.SevenBit
            : random.Next(10) switch
            {
                < 6 => ContentEncoding.QuotedPrintable,
                < 9 => ContentEncoding.Base64,
                _ => charset == "iso-2022-jp" ? ContentEncoding.SevenBit : ContentEncoding.EightBit,
            };
        return part;
    }

    private MessageFlags Flags(Random random, int index)
    {
        // Old mail is mostly read; the newest few percent mostly unread.
        var recent = index >= plans.Length - Math.Max(1, plans.Length / 30);
        var flags = MessageFlags.None;
        if (random.Next(100) < (recent ? 30 : 92))
        {
            flags |= MessageFlags.Seen;
        }

        if (random.Next(100) < 4)
        {
            flags |= MessageFlags.Flagged;
        }

        if (random.Next(100) < 10)
        {
            flags |= MessageFlags.Answered;
        }

        return flags;
    }

    private static string Wrap(string paragraph, int width)
    {
        if (paragraph.Length <= width)
        {
            return paragraph;
        }

        var wrapped = new StringBuilder(paragraph.Length + 16);
        var lineLength = 0;
        foreach (var word in paragraph.Split(' '))
        {
            if (lineLength > 0 && lineLength + 1 + word.Length > width)
            {
                wrapped.Append('\n');
                lineLength = 0;
            }
            else if (lineLength > 0)
            {
                wrapped.Append(' ');
                lineLength++;
            }

            wrapped.Append(word);
            lineLength += word.Length;
        }

        return wrapped.ToString();
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MimeKit;
using MimeKit.Utils;

namespace Gateway.Tests.Cache;

/// <summary>The fast path for plain Message-ID values answers exactly what MimeKit's parser answers, or declines.</summary>
public sealed class SimpleMessageIdTests
{
    [Theory]
    [InlineData("<abc@example.test>", true)]
    [InlineData(" <a.b+c_d=e@sub.example-1.test>\r\n", true)]
    [InlineData("<1234.5678$!#%&'*/?^`{|}~@x.test>", true)]
    [InlineData("<\"quoted\"@x.test>", false)]
    [InlineData("<abc@[127.0.0.1]>", false)]
    [InlineData("<a@x.test> <b@x.test>", false)]
    [InlineData("<a..b@x.test>", false)]
    [InlineData("<.a@x.test>", false)]
    [InlineData("<a@x.test.>", false)]
    [InlineData("<a@b@x.test>", false)]
    [InlineData("<no-domain>", false)]
    [InlineData("abc@x.test", false)]
    [InlineData("(comment) <a@x.test>", false)]
    [InlineData("<a@x_y.test>", false)]
    [InlineData("<>", false)]
    public void Accepts_only_the_plain_shape(string raw, bool accepted)
    {
        Assert.Equal(accepted, SimpleMessageId.TryParse(raw, out _));
        Agrees(raw);
    }

    [Fact]
    public void Agrees_with_MimeKit_on_every_message_id_of_the_corpus_and_of_generated_mail()
    {
        var values = Corpus.Headers(IsIdHeader).Select(h => h.Value).ToList();

        for (var i = 0; i < 200; i++)
        {
            values.AddRange(TestMessages.Generated(3, i, DateTimeOffset.UnixEpoch).Headers.Where(IsIdHeader).Select(h => h.Value));
        }

        Assert.NotEmpty(values);
        Assert.True(values.Count(Agrees) > values.Count / 2, "most real ids take the fast path");
    }

    private static bool IsIdHeader(Header h) => h.Id is HeaderId.MessageId or HeaderId.InReplyTo;

    private static bool Agrees(string value)
    {
        if (!SimpleMessageId.TryParse(value, out var fast))
        {
            return false;
        }

        Assert.Equal(MimeUtils.EnumerateReferences(value).First(), fast);
        return true;
    }
}

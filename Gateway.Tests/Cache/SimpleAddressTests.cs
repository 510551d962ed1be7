using System.Text;
using Gateway.Core.Messages;
using Gateway.Tests.Infrastructure;
using MimeKit;

namespace Gateway.Tests.Cache;

/// <summary>The fast path for plain address headers answers exactly what MimeKit's parser answers, or declines.</summary>
public sealed class SimpleAddressTests
{
    [Theory]
    [InlineData(" alice@example.test\r\n", true)]
    [InlineData(" Alice Example <alice@example.test>", true)]
    [InlineData("<a.b+c_d@sub.example.test>", true)]
    [InlineData("O'Brien-Smith <ob@x.test>", true)]
    [InlineData("\"Quoted, Name\" <q@x.test>", false)]
    [InlineData("=?utf-8?q?Gr=C3=BC=C3=9Fe?= <g@x.test>", false)]
    [InlineData("a@x.test, b@x.test", false)]
    [InlineData("Name (comment) <c@x.test>", false)]
    [InlineData("Folded\r\n Name <f@x.test>", false)]
    [InlineData("J. Smith <j@x.test>", false)]
    [InlineData("undisclosed-recipients:;", false)]
    [InlineData("two  spaces <t@x.test>", false)]
    [InlineData("a..b@x.test", false)]
    [InlineData("<>", false)]
    public void Accepts_only_the_plain_shapes(string raw, bool accepted)
    {
        Assert.Equal(accepted, SimpleAddress.TryParse(Encoding.UTF8.GetBytes(raw), out _));
        Agrees(Encoding.UTF8.GetBytes(raw));
    }

    [Fact]
    public void Agrees_with_MimeKit_on_every_address_header_of_the_corpus_and_of_generated_mail()
    {
        var headers = Corpus.Headers(IsAddressHeader).Select(h => h.RawValue).ToList();

        for (var i = 0; i < 200; i++)
        {
            headers.AddRange(TestMessages.Generated(3, i, DateTimeOffset.UnixEpoch).Headers.Where(IsAddressHeader).Select(h => h.RawValue));
        }

        Assert.NotEmpty(headers);
        var accepted = 0;
        foreach (var raw in headers)
        {
            accepted += Agrees(raw) ? 1 : 0;
        }

        Assert.True(accepted > 0);
    }

    private static bool IsAddressHeader(Header h) => h.Id is HeaderId.From or HeaderId.To or HeaderId.Cc or HeaderId.ReplyTo or HeaderId.Sender;

    private static bool Agrees(byte[] raw)
    {
        if (!SimpleAddress.TryParse(raw, out var fast))
        {
            return false;
        }

        Assert.True(InternetAddressList.TryParse(ParserOptions.Default, raw, 0, raw.Length, out var list), Encoding.UTF8.GetString(raw));
        var mailbox = Assert.IsType<MailboxAddress>(Assert.Single(list));
        Assert.Equal(string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name, fast.Name);
        Assert.Equal(mailbox.Address, fast.Address);
        return true;
    }
}

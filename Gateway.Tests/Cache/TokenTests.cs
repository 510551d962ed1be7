using Gateway.Core.Errors;
using Gateway.Core.Messages;
using Gateway.Core.Messages.Cache;

namespace Gateway.Tests.Cache;

public sealed class TokenTests
{
    private static readonly MessageFilter Unread = new(Unread: true);

    [Fact]
    public void Page_tokens_round_trip_and_are_bound_to_the_query()
    {
        var binding = PageTokens.Binding("acct", "mbx", ListOrder.Date, Unread);
        var token = new PageTokens.Token(77, 1000, new ListPosition(123, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        var text = PageTokens.Encode(binding, token);

        Assert.Matches("^[A-Za-z0-9_-]{1,64}$", text);
        Assert.Equal(token, PageTokens.Decode(text, binding));
        Assert.Throws<RequestValidationException>(() => PageTokens.Decode(text, PageTokens.Binding("other", "mbx", ListOrder.Date, Unread)));
        Assert.Throws<RequestValidationException>(() => PageTokens.Decode(text, PageTokens.Binding("acct", "mbx", ListOrder.Arrival, Unread)));
        Assert.Throws<RequestValidationException>(() => PageTokens.Decode(text, PageTokens.Binding("acct", "mbx", ListOrder.Date, MessageFilter.None)));
        Assert.Throws<RequestValidationException>(() => PageTokens.Decode("AAAA", binding));
        Assert.Throws<RequestValidationException>(() => PageTokens.Decode(text[..^2], binding));
    }

    [Fact]
    public void State_tokens_round_trip()
    {
        var text = MailboxStates.Encode(5, 10, ulong.MaxValue >> 1, 9);
        Assert.True(MailboxStates.TryDecode(text, out var state));
        Assert.Equal((5u, 10u, ulong.MaxValue >> 1, 9L), state);
        Assert.False(MailboxStates.TryDecode("nope", out _));
    }

    [Fact]
    public void Message_ids_accept_only_their_canonical_form()
    {
        var mailboxId = Core.Accounts.AccountIds.Hash("x");
        var id = MessageIds.For(mailboxId, 3, 4);
        Assert.Equal(MessageIds.Length, id.Length);
        Assert.True(MessageIds.TryParse(id, out var parsed));
        Assert.Equal(new MessageRef(mailboxId, 3, 4), parsed);
        Assert.False(MessageIds.TryParse(id[..^1], out _));
        Assert.False(MessageIds.TryParse(id[..^1] + "!", out _));
        Assert.False(MessageIds.TryParse(MessageIds.For(mailboxId, 3, 0), out _));
        Assert.False(MessageIds.TryParse(null, out _));
    }
}

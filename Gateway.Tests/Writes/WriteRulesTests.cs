using Gateway.Core.Errors;
using Gateway.Core.Messages.Writes;

namespace Gateway.Tests.Writes;

/// <summary>The pure rules of the writes: keyword atoms, entity tags, If-Match lists.</summary>
public sealed class WriteRulesTests
{
    [Theory]
    [InlineData("$Forwarded", true)]
    [InlineData("$Junk", true)]
    [InlineData("project-x_2.0", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("two words", false)]
    [InlineData("\\Seen", false)]
    [InlineData("line\r\nbreak", false)]
    [InlineData("{3}", false)]
    [InlineData("\"q\"", false)]
    [InlineData("a]", false)]
    [InlineData("é", false)]
    public void KeywordRules_AcceptOnlyPlainAtoms(string keyword, bool valid) => Assert.Equal(valid, KeywordRules.IsValid(keyword));

    [Fact]
    public void KeywordRules_CapLengthAndCount_AndDropCaseInsensitiveRepeats()
    {
        Assert.True(KeywordRules.IsValid(new string('k', KeywordRules.MaxLength)));
        Assert.False(KeywordRules.IsValid(new string('k', KeywordRules.MaxLength + 1)));
        Assert.Throws<RequestValidationException>(() => KeywordRules.Validate(Enumerable.Range(0, KeywordRules.MaxCount + 1).Select(i => "k" + i).ToList(), "addKeywords"));
        Assert.Equal(["Todo"], KeywordRules.Validate(["Todo", "todo", "TODO"], "addKeywords"));
        var error = Assert.Throws<RequestValidationException>(() => KeywordRules.Validate(["ok", "not ok"], "addKeywords"));
        Assert.Contains("addKeywords[1]", error.Errors.Keys);
    }

    [Fact]
    public void MessageETags_RoundTrip_AndRejectOtherShapes()
    {
        var tag = MessageETags.For(7, 42, 12345)!;
        Assert.Equal("\"7-42-12345\"", tag);
        Assert.True(MessageETags.TryParse(tag, out var v, out var u, out var m));
        Assert.Equal((7u, 42u, 12345ul), (v, u, m));
        Assert.Null(MessageETags.For(7, 42, 0));
        foreach (var bad in new[] { "7-42-12345", "W/\"7-42-12345\"", "\"7-42\"", "\"7-42-0\"", "\"-7-42-1\"", "\"a-b-c\"", "\"7-42-1-2\"" })
        {
            Assert.False(MessageETags.TryParse(bad, out _, out _, out _), bad);
        }
    }

    [Fact]
    public void WritePrecondition_ReadsIfMatchLists()
    {
        Assert.Null(WritePrecondition.FromIfMatch([]).Tags);
        Assert.Null(WritePrecondition.FromIfMatch(["*"]).Tags);
        Assert.Null(WritePrecondition.FromIfMatch(["\"1-2-3\", *"]).Tags);
        var condition = WritePrecondition.FromIfMatch(["\"1-2-3\", W/\"1-2-4\"", "\"1-9-5\", \"1-2-6\""]);
        Assert.Equal(4, condition.Tags!.Count);
    }
}

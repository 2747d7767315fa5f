using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

/// <summary>Rule words split as iptables-restore splits `iptables -S` output, and quoted back for a person to type.</summary>
public sealed class IptablesWordsTests
{
    [Fact]
    public void Split_PlainWords_SplitOnSpaces() =>
        Assert.Equal(["-A", "FORWARD", "-j", "DROP"], IptablesWords.Split("-A  FORWARD -j DROP "));

    [Fact]
    public void Split_QuotedWordWithSpaces_OneWord() =>
        Assert.Equal(["--comment", "x y", "-j"], IptablesWords.Split("--comment \"x y\" -j"));

    [Fact]
    public void Split_EscapedQuoteAndBackslashInsideQuotes_TakenAsTheyAre() =>
        Assert.Equal(["--comment", "a \"b\" c\\d"], IptablesWords.Split("--comment \"a \\\"b\\\" c\\\\d\""));

    [Fact]
    public void Split_EmptyQuotes_AnEmptyWord() => Assert.Equal(["--comment", ""], IptablesWords.Split("--comment \"\""));

    [Fact]
    public void Split_QuoteNeverClosed_Null() => Assert.Null(IptablesWords.Split("--comment \"x y"));

    [Theory]
    [InlineData("DROP")]
    [InlineData("203.0.113.0/24")]
    [InlineData("netdash:t1")]
    [InlineData("!")]
    public void Quote_PlainWord_Unchanged(string word) => Assert.Equal(word, IptablesWords.Quote(word));

    [Theory]
    [InlineData("x y", "\"x y\"")]
    [InlineData("", "\"\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("$HOME `id`", "\"\\$HOME \\`id\\`\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    public void Quote_WordAShellWouldSplitOrExpand_DoubleQuotedAndEscaped(string word, string expected) =>
        Assert.Equal(expected, IptablesWords.Quote(word));

    [Fact]
    public void Quote_ThenSplit_TheSameWords()
    {
        string[] words = ["-m", "comment", "--comment", "a \"b\" \\c $d", "", "-j", "DROP"];

        Assert.Equal(words, IptablesWords.Split(string.Join(' ', words.Select(IptablesWords.Quote))));
    }
}

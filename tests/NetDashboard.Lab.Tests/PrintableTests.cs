using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class PrintableTests
{
    [Fact]
    public void Escape_AnsiColourSequence_EscVisible() =>
        Assert.Equal("\\x1b[31mred\\x1b[0m", Printable.Escape("\u001b[31mred\u001b[0m"));

    [Fact]
    public void Escape_TabsAndNewlines_Kept() =>
        Assert.Equal("a\tb\nc\n", Printable.Escape("a\tb\nc\n"));

    // A carriage return would let the rest of a line overwrite its start on a terminal.
    [Fact]
    public void Escape_CarriageReturn_Visible() =>
        Assert.Equal("ok\\x0dNETDASH-END x 0", Printable.Escape("ok\rNETDASH-END x 0"));

    [Theory]
    [InlineData("\0", "\\x00")]
    [InlineData("\u0007", "\\x07")]
    [InlineData("\u007f", "\\x7f")]
    [InlineData("\u009b", "\\x9b")]
    public void Escape_OtherControlCharacters_HexForm(string text, string expected) =>
        Assert.Equal(expected, Printable.Escape(text));

    [Fact]
    public void Escape_PlainText_SameString()
    {
        const string text = "(vm1)$ ping -c 1 192.168.1.1 → é ✓";

        Assert.Same(text, Printable.Escape(text));
    }
}

public sealed class PrintableQuoteTests
{
    [Fact]
    public void Quote_Newline_EscapedOntoOneLine() => Assert.Equal("a\\x0ab", Printable.Quote("a\nb"));

    [Fact]
    public void Quote_LongValue_CutWithItsLength() => Assert.Equal($"{new string('x', 64)}… (1000 characters)", Printable.Quote(new string('x', 1000)));
}

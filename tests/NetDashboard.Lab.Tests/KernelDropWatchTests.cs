using NetDashboard.Lab.Trace;

namespace NetDashboard.Lab.Tests;

/// <summary>What the watch reads from an event's format (recorded from kernel 6.18) and the names it refuses, without root.</summary>
public sealed class KernelDropWatchTests
{
    private static readonly string Format618 = TestFiles.Fixture("kfree_skb-format-6.18.txt");

    // Kernel 5.15's kfree_skb format: no reason field yet.
    private const string Format515 = """
        name: kfree_skb
        format:
        	field:void * skbaddr;	offset:8;	size:8;	signed:0;
        	field:void * location;	offset:16;	size:8;	signed:0;
        	field:unsigned short protocol;	offset:24;	size:2;	signed:0;

        print fmt: "skbaddr=%p protocol=%u location=%p", REC->skbaddr, REC->protocol, REC->location
        """;

    [Theory]
    [InlineData("NOT_SPECIFIED", 2)]
    [InlineData("NETFILTER_DROP", 12)]
    [InlineData("MAX", 130)]
    public void NumberOf_RecordedFormat_TheNumberThePrintSymbolicListGivesTheName(string name, int number) =>
        Assert.Equal(number, KernelDropWatch.NumberOf(Format618, name));

    [Fact]
    public void NumberOf_HexNumberOrMissingName_ParsedOrNull()
    {
        Assert.Equal(2, KernelDropWatch.NumberOf("""__print_symbolic(REC->reason, { 0x2, "NOT_SPECIFIED" })""", "NOT_SPECIFIED"));
        Assert.Null(KernelDropWatch.NumberOf(Format618, "SPECIFIED"));
        Assert.Null(KernelDropWatch.NumberOf(Format515, "NOT_SPECIFIED"));
    }

    [Fact]
    public void HasReason_618AndThe515Format_OnlyTheNewerHasIt()
    {
        Assert.True(KernelDropWatch.HasReason(Format618));
        Assert.False(KernelDropWatch.HasReason(Format515));
    }

    [Theory]
    [InlineData("netdash-trace-")]
    [InlineData("netdash-trace-../../x")]
    [InlineData("netdash-trace-ABC")]
    [InlineData("other")]
    [InlineData("netdash-trace-0123456789012345678901234567890123456789x")]
    public void TryStart_BadInstanceName_ThrowsBeforeTouchingTracefs(string name) =>
        Assert.Throws<ArgumentException>(() => KernelDropWatch.TryStart(name, out _));
}

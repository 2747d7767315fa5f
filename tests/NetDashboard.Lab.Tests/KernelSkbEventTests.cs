using NetDashboard.Lab.Trace;

namespace NetDashboard.Lab.Tests;

/// <summary>A tracefs instance's trace text, as kernel 6.18 printed it for a ping dropped by iptables (trace_clock tai).</summary>
public sealed class KernelSkbEventTests
{
    private const long TaiMinusUnix = 37_000_000;
    private const long At = 42609_000000 - TaiMinusUnix;

    private const string Recorded = """
        # tracer: nop
        #
        # entries-in-buffer/entries-written: 3/3   #P:2
        #
        #                                _-----=> irqs-off/BH-disabled
        #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
        #              | |         |   |||||     |         |
                    ping-15417   [001] b.... 42609.340012: net_dev_queue: dev=ens160 skbaddr=00000000c364cf21 len=98
                    ping-15417   [001] ..s1. 42609.340023: netif_receive_skb: dev=eth0 skbaddr=00000000c364cf21 len=84
                    ping-15417   [001] ..s1. 42609.340047: kfree_skb: skbaddr=00000000c364cf21 rx_sk=0000000000000000 protocol=2048 location=nft_do_chain+0x46f/0x690 reason: NETFILTER_DROP

        """;

    [Fact]
    public void ParseAll_RecordedTrace_HeadersSkippedEachEventWithUnixTime() =>
        Assert.Equal(
        [
            new KernelSkbEvent(At + 340012, "net_dev_queue", "00000000c364cf21", "ens160", 98, null, null, null),
            new KernelSkbEvent(At + 340023, "netif_receive_skb", "00000000c364cf21", "eth0", 84, null, null, null),
            new KernelSkbEvent(At + 340047, "kfree_skb", "00000000c364cf21", null, null, "NETFILTER_DROP", "nft_do_chain+0x46f/0x690", 2048),
        ], KernelSkbEvent.ParseAll(Recorded, TaiMinusUnix));

    [Fact]
    public void Parse_CommWithSpacesAndDashes_ThePidIsTheLastDashedNumberBeforeTheCpu()
    {
        var e = KernelSkbEvent.Parse("  kworker/u8:2-ev t-1-77 [000] ..s1. 100.000001: netif_receive_skb: dev=br0 skbaddr=00000000deadbeef len=60", 0);

        Assert.Equal(new KernelSkbEvent(100_000001, "netif_receive_skb", "00000000deadbeef", "br0", 60, null, null, null), e);
    }

    [Fact]
    public void Parse_DropInAModule_TheModuleStaysWithTheLocation()
    {
        var e = KernelSkbEvent.Parse("<idle>-0 [001] ..s1. 5.5: kfree_skb: skbaddr=0000000011 protocol=2048 location=nft_do_chain+0x46f/0x690 [nf_tables] reason: NETFILTER_DROP", 0);

        Assert.Equal("nft_do_chain+0x46f/0x690 [nf_tables]", e?.Location);
        Assert.Equal(5_500000, e?.UnixMicros);
    }

    [Theory]
    [InlineData("# tracer: nop")]
    [InlineData("")]
    [InlineData("            ping-15417   [001] ..s1. 42609.3400")]
    [InlineData("            ping-15417   [001] ..s1. 42609.340047: kfree_skb: skbaddr=00000000c364cf21 protocol=2048")]
    [InlineData("            ping-15417   [001] ..s1. 42609.340023: netif_receive_skb: skbaddr=00000000c364cf21 len=84")]
    [InlineData("            ping-15417   [001] ..s1. 42609.340023: consume_skb: skbaddr=00000000c364cf21 location=x")]
    [InlineData("ping [001] 42609.340023 netif_receive_skb dev=eth0")]
    public void Parse_HeaderGarbledOrOtherEvent_Skipped(string line) => Assert.Null(KernelSkbEvent.Parse(line, 0));
}

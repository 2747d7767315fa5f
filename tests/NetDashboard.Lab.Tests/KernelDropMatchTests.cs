using NetDashboard.Lab.Trace;

namespace NetDashboard.Lab.Tests;

/// <summary>Which kernel drops were the probe's: by the skb's path meeting the probe's captures in place and time.</summary>
public sealed class KernelDropMatchTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    private static KernelSkbEvent Queue(long at, string skb, string device) => new(at, "net_dev_queue", skb, device, 98, null, null, null);

    private static KernelSkbEvent Receive(long at, string skb, string device) => new(at, "netif_receive_skb", skb, device, 84, null, null, null);

    private static KernelSkbEvent Free(long at, string skb, string reason = "NETFILTER_DROP") =>
        new(at, "kfree_skb", skb, null, null, reason, "nft_do_chain+0x46f/0x690", 2048);

    [Fact]
    public void Match_PathSeenWhereAndWhenTheProbeWasCaptured_Certain()
    {
        var drops = KernelDropMatch.Match([Queue(10_000_000, "a", "ens160"), Receive(10_000_011, "a", "eth0"), Free(10_000_035, "a")],
            [("eth0", 10_200_000)], Slack);

        Assert.Equal([new KernelDrop("NETFILTER_DROP", "nft_do_chain+0x46f/0x690", "eth0", 10_000_035, true)], drops);
    }

    [Fact]
    public void Match_SameDeviceNameAtAnotherTime_Uncertain()
    {
        var drops = KernelDropMatch.Match([Receive(50_000_000, "a", "eth0"), Free(50_000_010, "a")], [("eth0", 10_000_000)], Slack);

        Assert.Equal([new KernelDrop("NETFILTER_DROP", "nft_do_chain+0x46f/0x690", "eth0", 50_000_010, false)], drops);
    }

    // Seen in CI: a unix socket's buffer reused the address the probe's had on pc/eth0 and was freed as SOCKET_CLOSE.
    [Fact]
    public void Match_ABufferThatIsNotIpv4ReusingTheProbesAddress_Excluded()
    {
        var socketClose = new KernelSkbEvent(10_000_050, "kfree_skb", "a", null, null, "SOCKET_CLOSE", "unix_release_sock+0x32c/0x490", 0);

        var drops = KernelDropMatch.Match([Queue(10_000_000, "a", "eth0"), socketClose], [("eth0", 10_000_000)], Slack);

        Assert.Empty(drops);
    }

    [Fact]
    public void Match_PathOnlyOnOtherDevicesOrNoPath_Excluded()
    {
        var drops = KernelDropMatch.Match([Queue(10_000_000, "a", "wlan0"), Free(10_000_010, "a"), Free(10_000_020, "b")], [("eth0", 10_000_000)], Slack);

        Assert.Empty(drops);
    }

    [Fact]
    public void Match_ReusedSkbAddress_OnlyThePathAfterThePreviousFreeCounts()
    {
        // Our probe's buffer is freed at 10 s; the same address then carries another lab's packet on wlan0, dropped too.
        var drops = KernelDropMatch.Match(
            [Receive(10_000_000, "a", "eth0"), Free(10_000_010, "a", "NO_SOCKET"), Queue(10_000_020, "a", "wlan0"), Free(10_000_030, "a")],
            [("eth0", 10_000_000)], Slack);

        Assert.Equal([new KernelDrop("NO_SOCKET", "nft_do_chain+0x46f/0x690", "eth0", 10_000_010, true)], drops);
    }

    [Fact]
    public void Match_SeveralDrops_InTimeOrderWithTheLastDeviceBeforeEach()
    {
        var drops = KernelDropMatch.Match(
            [Receive(20_000_000, "b", "eth0"), Queue(20_000_005, "b", "br0"), Free(20_000_009, "b"), Receive(10_000_000, "a", "eth0"), Free(10_000_001, "a")],
            [("eth0", 10_000_000), ("eth0", 20_000_000)], Slack);

        Assert.Equal([(10_000_001L, "eth0"), (20_000_009L, "br0")], drops.Select(d => (d.UnixMicros, d.LastDevice!)));
    }
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Capture;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.WireFrames;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>
/// Issue 17, item 4, as it was found: once 16,384 ICMP echoes 6.6.6.6 → 7.7.7.7 (id 4242, seq 7) had filled every
/// slot of the capture ring, a 24-byte IPv4 frame written into a reused slot was shown as one of them, and IPv6
/// extension-header chains gave negative lengths. Here through the real ring, with the capture's default sizes, and
/// decoded as the capture worker decodes a slot.
/// </summary>
public sealed class StaleSlotTests
{
    private static readonly CaptureOptions Defaults = new();
    private static readonly string[] StaleValues = ["6.6.6.6", "7.7.7.7", "6666::6", "7777::7", "4242", "seq 7", "echo request"];

    [Theory]
    [InlineData(24)] // 10 bytes of the IP header
    [InlineData(40)] // the IP header and 6 bytes of ICMP
    public void Summarize_ShortIpv4FrameInAReusedSlot_MalformedInTcpdumpsWordsWithoutTheStaleEcho(int captured)
    {
        var stale = Ethernet(0x0800, Ip4("6.6.6.6", "7.7.7.7", Icmp, IcmpMessage(8, 0, 4242, 7, new byte[56])));
        var sent = Ip4Frame("192.168.1.10", "203.0.113.5", Icmp, IcmpMessage(8, 0, 513, 1, new byte[56]));

        var (row, slot) = DecodeInReusedSlot(stale, sent[..captured]);

        // Past the frame the slot still holds the stale echo, which a decoder reading on would show.
        Assert.Equal(stale[captured..], slot[captured..stale.Length]);
        Assert.True(row.Malformed);
        var ipCaptured = captured - 14;
        Assert.Contains(ipCaptured < 20 ? "[|ip]" : $"truncated-ip - {sent.Length - 14 - ipCaptured} bytes missing!", row.Info);
        Assert.All(StaleValues, value => Assert.DoesNotContain(value, row.Info));
        Assert.Equal(captured, row.CapturedLength);
    }

    /// <param name="words">What tcpdump 4.99 prints for the frame (tcpdump -n -r), where it stops.</param>
    [Theory]
    [InlineData("payload length shorter than the chain", "segleft=1 [|rt6]")]
    [InlineData("chain cut by the frame's end", "truncated-ip6 - 92 bytes missing!")]
    [InlineData("payload length 0 without a jumbo option", "[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")]
    public void Summarize_Ipv6ExtensionChainInAReusedSlot_MalformedWithoutANegativeLength(string wrong, string words)
    {
        var stale = Ethernet(0x86dd, Ip6("6666::6", "7777::7", HopByHop, HopByHopRouterAlert(Fragment6,
            Fragment6Header(Icmp6, 0, false, 4242, IcmpMessage(128, 0, 4242, 7, new byte[120])))));
        // Hop-by-hop, a type 0 routing header with one address, a fragment header, destination options, an echo.
        byte[] chain =
        [
            43, 0, 1, 4, 0, 0, 0, 0,
            44, 2, 0, 1, 0, 0, 0, 0, .. new byte[16],
            60, 0, 0, 0, 0, 0, 0, 1,
            Icmp6, 0, 1, 4, 0, 0, 0, 0, .. IcmpMessage(128, 0, 1, 1, new byte[56]),
        ];
        var frame = wrong switch
        {
            "payload length shorter than the chain" => Ip6Frame("fd00::10", "2001:db8::5", HopByHop, chain, payloadLength: 16),
            "chain cut by the frame's end" => Ip6Frame("fd00::10", "2001:db8::5", HopByHop, chain)[..(14 + 40 + 20)],
            _ => Ip6Frame("fd00::10", "2001:db8::5", HopByHop, chain, payloadLength: 0),
        };

        var (row, _) = DecodeInReusedSlot(stale, frame);

        Assert.True(row.Malformed);
        Assert.Contains(words, row.Info);
        Assert.DoesNotMatch(@"-\d", row.Info);
        Assert.All(StaleValues, value => Assert.DoesNotContain(value, row.Info));
    }

    /// <summary>
    /// Fills every slot of a ring with <paramref name="stale"/> and frees them, then writes <paramref name="frame"/>
    /// (captured whole) into the first slot again. Returns its row and the slot's bytes.
    /// </summary>
    private static (PacketRow Row, byte[] Slot) DecodeInReusedSlot(byte[] stale, byte[] frame)
    {
        using var ring = new PacketSlotRing(Defaults.RingSlots, Defaults.Snaplen);
        for (var i = 0; i < ring.Slots; i++)
            ring.Write(stale, i, stale.Length);
        Assert.Equal(ring.Slots, ring.Drain(_ => { }, ring.Slots));

        ring.Write(frame, ring.Slots, frame.Length);
        PacketRow? row = null;
        byte[]? slot = null;
        ring.Drain(batch =>
        {
            var packet = batch[0];
            row = PacketSummarizer.Summarize(ring.Slots, packet.TimestampMicros, packet.WireLength, packet.Buffer, packet.Offset, packet.Length,
                LinkLayers.Ethernet, default, new TcpSequences());
            slot = packet.Buffer.AsSpan(packet.Offset, Defaults.Snaplen).ToArray();
        }, 1);
        return (row!, slot!);
    }
}

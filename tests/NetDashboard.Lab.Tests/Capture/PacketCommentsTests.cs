using NetDashboard.Lab.Model;
using System.Text;
using NetDashboard.Lab.Capture;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketCommentsTests
{
    private static readonly byte[] RequestInside = Echo(IcmpV4TypeCode.EchoRequest, 1234, 1, Guest, Server, new Framing(Vm1, Bridge, 64, 0x4001));
    private static readonly byte[] RequestOutside = Echo(IcmpV4TypeCode.EchoRequest, 1234, 1, Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x4001));
    private static readonly byte[] ReplyOutside = Echo(IcmpV4TypeCode.EchoReply, 1234, 1, Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x9001));
    private static readonly byte[] ReplyInside = Echo(IcmpV4TypeCode.EchoReply, 1234, 1, Server, Guest, new Framing(Bridge, Vm1, 63, 0x9001));

    private static StoredPacket Packet(long micros, byte[] frame, long group, long flow) => new(0, micros, frame.Length, frame, group, flow);

    private static void Expect(string?[] expected, string?[] comments) => Assert.Equal(expected.AsEnumerable(), comments.AsEnumerable());

    [Fact]
    public void For_PingThroughNat_FlowHopAndRewriteOnEachHop()
    {
        var comments = PacketComments.For(
        [
            Packet(100, RequestInside, 5, 42), Packet(110, RequestInside, 5, 42), Packet(140, RequestOutside, 5, 42),
            Packet(400, ReplyOutside, 6, 42), Packet(430, ReplyInside, 6, 42), Packet(440, ReplyInside, 6, 42),
        ]);

        Expect(
            [
                "flow 1, hop 1/3", "flow 1, hop 2/3", "flow 1, hop 3/3, source rewritten 192.168.1.10 → 10.180.13.232, TTL 64 → 63",
                "flow 1, hop 1/3", "flow 1, hop 2/3, destination rewritten 10.180.13.232 → 192.168.1.10, TTL 64 → 63", "flow 1, hop 3/3",
            ],
            comments);
    }

    [Fact]
    public void For_PortUnreachableThroughNat_SaysNatRewroteTheQuote()
    {
        var datagramOutside = Udp(1024, 9, "hello"u8.ToArray(), Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x6001));
        var datagramInside = Udp(40000, 9, "hello"u8.ToArray(), Guest, Server, new Framing(Vm1, Bridge, 64, 0x6001));
        var errorOutside = IcmpError(datagramOutside, Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x7001));
        var errorInside = IcmpError(datagramInside, Server, Guest, new Framing(Bridge, Vm1, 63, 0x7001));

        var comments = PacketComments.For([Packet(100, datagramInside, 5, 42), Packet(300, errorOutside, 6, 42), Packet(320, errorInside, 6, 42)]);

        Expect(
            [
                "flow 1, hop 1/1", "flow 1, hop 1/2",
                "flow 1, hop 2/2, destination rewritten 10.180.13.232 → 192.168.1.10, TTL 64 → 63, "
                + "quoted source rewritten 10.180.13.232 → 192.168.1.10, quoted source port rewritten 1024 → 40000",
            ],
            comments);
    }

    [Fact]
    public void For_TwoFlows_NumberedByFirstAppearanceNotById()
    {
        var comments = PacketComments.For([Packet(100, RequestInside, 9, 70), Packet(200, ReplyOutside, 3, 4), Packet(300, RequestInside, 10, 70)]);

        Expect(["flow 1, hop 1/1", "flow 2, hop 1/1", "flow 1, hop 1/1"], comments);
    }

    [Fact]
    public void For_NotLinkedOrAloneWithoutFlow_NoComment()
    {
        var arp = Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway);

        var comments = PacketComments.For([Packet(100, arp, 0, 0), Packet(200, arp, 8, 0), Packet(300, arp, 9, 0), Packet(301, arp, 9, 0)]);

        Expect([null, null, "hop 1/2", "hop 2/2"], comments);
    }

    [Fact]
    public void For_GroupWhoseHopsCarryTwoFlowIds_OneFlowForThemAndTheirReply()
    {
        // ens160's hop came first and got a new flow; the tap's hop then showed it was flow 3's conversation.
        var comments = PacketComments.For(
        [
            Packet(100, RequestOutside, 5, 8), Packet(101, RequestInside, 5, 3), Packet(400, ReplyOutside, 6, 8), Packet(500, ReplyInside, 7, 3),
        ]);

        Assert.All(comments, c => Assert.StartsWith("flow 1, ", c));
    }

    [Fact]
    public void For_TcpHopWithEveryFieldRewritten_AllNamedWithinAFewHundredBytes()
    {
        static byte[] Segment(ushort source, ushort destination, System.Net.IPAddress from, System.Net.IPAddress to, Framing framing) =>
            Tcp(new TcpPacket(source, destination) { SequenceNumber = 1000, Synchronize = true }, from, to, framing);
        var before = Segment(40000, 8080, System.Net.IPAddress.Parse("192.168.100.200"), System.Net.IPAddress.Parse("203.0.113.250"), new Framing(Vm1, Bridge, 255));
        var after = Segment(65535, 80, System.Net.IPAddress.Parse("255.255.255.254"), System.Net.IPAddress.Parse("100.100.100.100"), new Framing(UplinkMac, WanMac, 254));

        var comment = PacketComments.For([Packet(100, before, int.MaxValue, long.MaxValue), Packet(200, after, int.MaxValue, long.MaxValue)])[1];

        Assert.Equal(
            "flow 1, hop 2/2, source rewritten 192.168.100.200 → 255.255.255.254, destination rewritten 203.0.113.250 → 100.100.100.100, "
            + "TTL 255 → 254, source port rewritten 40000 → 65535, destination port rewritten 8080 → 80", comment);
        Assert.InRange(Encoding.UTF8.GetByteCount(comment!), 1, 300);
    }
}

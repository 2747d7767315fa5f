using NetDashboard.Lab.Capture.Correlation;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketHeaderReaderTests
{
    private static readonly byte[] PingData = [.. Enumerable.Range(0, 56).Select(i => (byte)(i * 7))];

    private static PacketHeaders Read(byte[] frame)
    {
        Assert.True(PacketHeaderReader.TryRead(frame, out var headers));
        return headers;
    }

    [Fact]
    public void TryRead_EchoRequest_ReadsEveryField()
    {
        var headers = Read(Echo(IcmpV4TypeCode.EchoRequest, 513, 7, Guest, Server, new Framing(Vm1, Bridge, 64, 0xbeef)));

        Assert.Equal(HeaderDepth.Transport, headers.Depth);
        Assert.Equal(0x525498765430UL, headers.SourceMac);
        Assert.Equal(0x525400123401UL, headers.DestinationMac);
        Assert.Equal(0x0800, headers.EtherType);
        Assert.Equal(0xC0A8010AU, headers.Source);
        Assert.Equal(0xCB007105U, headers.Destination);
        Assert.Equal(64, headers.Ttl);
        Assert.Equal(0xbeef, headers.IpId);
        Assert.Equal(PacketHeaders.Icmp, headers.Protocol);
        Assert.Equal(8, headers.IcmpType);
        Assert.Equal(513, headers.IcmpId);
        Assert.Equal(7, headers.IcmpSequence);
        Assert.Equal(56, headers.PayloadLength);
        Assert.True(headers.IsIcmpEcho);
    }

    [Fact]
    public void TryRead_TcpSegment_ReadsPortsSequenceAcknowledgmentFlagsAndPayloadLength()
    {
        var tcp = new TcpPacket(40000, 80) { Push = true, Acknowledgment = true, SequenceNumber = 1001, AcknowledgmentNumber = 2001, PayloadData = "GET /\r\n"u8.ToArray() };
        var headers = Read(Tcp(tcp, Guest, Server));

        Assert.Equal(HeaderDepth.Transport, headers.Depth);
        Assert.Equal(PacketHeaders.Tcp, headers.Protocol);
        Assert.Equal(40000, headers.SourcePort);
        Assert.Equal(80, headers.DestinationPort);
        Assert.Equal(1001U, headers.TcpSequence);
        Assert.Equal(2001U, headers.TcpAcknowledgment);
        Assert.Equal(0x18, headers.TcpFlags);
        Assert.Equal(7, headers.PayloadLength);
        Assert.Equal(1008U, headers.TcpSequenceEnd);
    }

    [Fact]
    public void TryRead_VlanTagged_ReadsPastTheTagAndHashesTheSamePayload()
    {
        var untagged = Udp(40000, 53, DnsQuery(), Guest, Server);
        byte[] tagged = [.. untagged[..12], 0x81, 0x00, 0x00, 0x0a, .. untagged[12..]];

        var (plain, vlan) = (Read(untagged), Read(tagged));

        Assert.Equal(HeaderDepth.Transport, vlan.Depth);
        Assert.Equal(0x0800, vlan.EtherType);
        Assert.Equal(53, vlan.DestinationPort);
        Assert.Equal(plain.PayloadHash, vlan.PayloadHash);
        Assert.Equal(plain.NatInvariantKey, vlan.NatInvariantKey);
        Assert.NotEqual(plain.BridgedKey, vlan.BridgedKey);
    }

    [Fact]
    public void TryRead_EthernetPadding_LeftOutOfThePayload()
    {
        var frame = Udp(40000, 9999, [1, 2], Guest, Server);
        Assert.True(frame.Length < 60);
        byte[] padded = [.. frame, .. new byte[60 - frame.Length]];

        var (bare, withPadding) = (Read(frame), Read(padded));

        Assert.Equal(2, withPadding.PayloadLength);
        Assert.Equal(bare.PayloadHash, withPadding.PayloadHash);
        Assert.Equal(bare.NatInvariantKey, withPadding.NatInvariantKey);
    }

    [Fact]
    public void NatInvariantKey_MasqueradeRewrite_Unchanged()
    {
        var sent = Read(Echo(IcmpV4TypeCode.EchoRequest, 1234, 1, Guest, Server, new Framing(Vm1, Bridge, 64, 0x4242), PingData));
        // What leaves ens160: new MACs, TTL 63, source and ICMP id rewritten.
        var natted = Read(Echo(IcmpV4TypeCode.EchoRequest, 5000, 1, Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x4242), PingData));

        Assert.Equal(sent.NatInvariantKey, natted.NatInvariantKey);
        Assert.NotEqual(sent.BridgedKey, natted.BridgedKey);
    }

    [Fact]
    public void NatInvariantKey_OtherIpIdSequenceOrData_Differs()
    {
        ulong Key(ushort ipId, ushort sequence, byte[] data) =>
            Read(Echo(IcmpV4TypeCode.EchoRequest, 1234, sequence, Guest, Server, new Framing(Vm1, Bridge, 64, ipId), data)).NatInvariantKey;
        var key = Key(0x4242, 1, PingData);

        Assert.NotEqual(key, Key(0x4243, 1, PingData));
        Assert.NotEqual(key, Key(0x4242, 2, PingData));
        Assert.NotEqual(key, Key(0x4242, 1, new byte[56]));
    }

    [Fact]
    public void TryRead_PortUnreachable_ReadsTheQuotedPacketsTupleAndIpId()
    {
        var datagram = Udp(1024, 9, "hello"u8.ToArray(), Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x6001));

        var headers = Read(IcmpError(datagram, Server, Uplink, new Framing(WanMac, UplinkMac)));

        Assert.Equal((3, 3), (headers.IcmpType, headers.IcmpCode));
        Assert.True(headers.HasQuote);
        Assert.Equal(PacketHeaders.Udp, headers.QuotedProtocol);
        Assert.Equal((0x0AB40DE8U, 0xCB007105U), (headers.QuotedSource, headers.QuotedDestination));
        Assert.Equal((1024, 9), (headers.QuotedSourcePort, headers.QuotedDestinationPort));
        Assert.Equal(0x6001, headers.QuotedIpId);
    }

    [Fact]
    public void TryRead_ErrorQuotingAnEchoOrCutShort_EchoIdInBothPortsOrNoQuote()
    {
        var ping = Echo(IcmpV4TypeCode.EchoRequest, 1234, 1, Guest, Server, new Framing(Vm1, Bridge));
        var echo = Read(IcmpError(ping, Gateway, Guest, new Framing(Bridge, Vm1), type: 3, code: 4));
        var cut = IcmpError(ping, Gateway, Guest, new Framing(Bridge, Vm1));

        Assert.Equal((PacketHeaders.Icmp, 1234, 1234), (echo.QuotedProtocol, echo.QuotedSourcePort, echo.QuotedDestinationPort));
        Assert.False(Read(cut[..^1]).HasQuote); // 7 bytes after the quoted IP header: no ICMP id
        Assert.False(Read(ping).HasQuote);
    }

    [Fact]
    public void TryRead_Fragments_FirstHasTransportAndMoreLaterHasOffsetOnly()
    {
        var framing = new Framing(Vm1, Bridge, 64, 0x4321);
        var first = Read(Fragment(Guest, Server, [8, 0, 0, 0, 0x04, 0xd2, 0, 1, .. new byte[1472]], 0, true, framing));
        var last = Read(Fragment(Guest, Server, new byte[528], 1480, false, framing));

        Assert.Equal((HeaderDepth.Transport, true, 0, true), (first.Depth, first.MoreFragments, (int)first.FragmentOffset, first.IsFragment));
        Assert.Equal((HeaderDepth.Ipv4, false, 185, true), (last.Depth, last.MoreFragments, (int)last.FragmentOffset, last.IsFragment));
        Assert.False(Read(Echo(IcmpV4TypeCode.EchoRequest, 1, 1, Guest, Server)).IsFragment);
    }

    [Fact]
    public void TryRead_ShorterThanEthernetHeader_False()
    {
        Assert.False(PacketHeaderReader.TryRead([], out _));
        Assert.False(PacketHeaderReader.TryRead(new byte[13], out _));
    }

    [Fact]
    public void TryRead_Arp_EthernetOnly()
    {
        var headers = Read(Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway));
        Assert.Equal(HeaderDepth.Ethernet, headers.Depth);
        Assert.Equal(0x0806, headers.EtherType);
        Assert.Equal(0UL, headers.NatInvariantKey);
    }

    [Fact]
    public void TryRead_CutInsideTcpHeader_Ipv4DepthOnly()
    {
        var frame = Tcp(new TcpPacket(40000, 80) { Synchronize = true, SequenceNumber = 1 }, Guest, Server);
        var headers = Read(frame[..40]); // 14 + 20 + 6 bytes of the TCP header

        Assert.Equal(HeaderDepth.Ipv4, headers.Depth);
        Assert.Equal(0, headers.SourcePort);
    }

    [Fact]
    public void TryRead_ManyFrames_AllocatesNothing()
    {
        var frame = Echo(IcmpV4TypeCode.EchoRequest, 1234, 1, Guest, Server, data: PingData);
        PacketHeaderReader.TryRead(frame, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            PacketHeaderReader.TryRead(frame, out _);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

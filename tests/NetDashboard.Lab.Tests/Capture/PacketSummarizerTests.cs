using NetDashboard.Lab.Model;
using PacketDotNet;
using NetDashboard.Lab.Capture;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketSummarizerTests
{
    private static PacketRow Summarize(byte[] frame, int? wireLength = null) =>
        PacketSummarizer.Summarize(7, 1_700_000_000_123_456, wireLength ?? frame.Length, frame);

    [Fact]
    public void Summarize_EchoRequest_WritesTcpdumpLine()
    {
        var row = Summarize(Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server));

        Assert.Equal("IP 192.168.1.10 > 203.0.113.5: ICMP echo request, id 513, seq 0, length 64", row.Info);
        Assert.Equal("ICMP", row.Protocol);
        Assert.Equal("192.168.1.10", row.Source);
        Assert.Equal("203.0.113.5", row.Destination);
        Assert.Equal("52:54:98:76:54:30", row.SourceMac);
        Assert.Equal("52:54:00:12:34:01", row.DestinationMac);
        Assert.Equal(98, row.Length);
        Assert.Equal(98, row.CapturedLength);
        Assert.Equal(7, row.Sequence);
        Assert.Equal(1_700_000_000_123_456, row.TimestampMicros);
        Assert.False(row.Malformed);
    }

    [Fact]
    public void Summarize_EchoReply_WritesTcpdumpLine()
    {
        var row = Summarize(Echo(IcmpV4TypeCode.EchoReply, 513, 4, Server, Guest));
        Assert.Equal("IP 203.0.113.5 > 192.168.1.10: ICMP echo reply, id 513, seq 4, length 64", row.Info);
    }

    [Fact]
    public void Summarize_CutBySnapLength_StillDescribedNotMalformed()
    {
        var frame = Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server);
        var row = Summarize(frame[..60], wireLength: frame.Length);

        Assert.False(row.Malformed);
        Assert.Equal("IP 192.168.1.10 > 203.0.113.5: ICMP echo request, id 513, seq 0, length 64", row.Info);
        Assert.Equal(98, row.Length);
        Assert.Equal(60, row.CapturedLength);
    }

    [Fact]
    public void Summarize_TcpSynAck_ShowsFlagsSeqAckWindow()
    {
        var tcp = new TcpPacket(80, 40000) { Synchronize = true, Acknowledgment = true, SequenceNumber = 1000, AcknowledgmentNumber = 2001, WindowSize = 64240 };
        var row = Summarize(Tcp(tcp, Server, Guest));

        Assert.Equal("IP 203.0.113.5.80 > 192.168.1.10.40000: Flags [S.], seq 1000, ack 2001, win 64240, length 0", row.Info);
        Assert.Equal("TCP", row.Protocol);
    }

    [Fact]
    public void Summarize_TcpSyn_ShowsSeqWithoutAck()
    {
        var tcp = new TcpPacket(40000, 80) { Synchronize = true, SequenceNumber = 999, WindowSize = 64240 };
        var row = Summarize(Tcp(tcp, Guest, Server));
        Assert.Equal("IP 192.168.1.10.40000 > 203.0.113.5.80: Flags [S], seq 999, win 64240, length 0", row.Info);
    }

    [Fact]
    public void Summarize_TcpPushWithData_ShowsSequenceRange()
    {
        var tcp = new TcpPacket(40000, 80) { Push = true, Acknowledgment = true, SequenceNumber = 1001, AcknowledgmentNumber = 2001, WindowSize = 502, PayloadData = "GET /\r\n"u8.ToArray() };
        var row = Summarize(Tcp(tcp, Guest, Server));
        Assert.Equal("IP 192.168.1.10.40000 > 203.0.113.5.80: Flags [P.], seq 1001:1008, ack 2001, win 502, length 7: HTTP: GET /", row.Info);
    }

    [Fact]
    public void Summarize_Udp_ShowsPortsAndPayloadLength()
    {
        var row = Summarize(Udp(40000, 9999, new byte[64], Guest, Server));
        Assert.Equal("IP 192.168.1.10.40000 > 203.0.113.5.9999: UDP, length 64", row.Info);
        Assert.Equal("UDP", row.Protocol);
    }

    [Fact]
    public void Summarize_ArpRequest_WhoHasTell()
    {
        var row = Summarize(Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway));
        // The target MAC is not zero here (PacketDotNet writes the broadcast address), so tcpdump names it.
        Assert.Equal("ARP, Request who-has 192.168.1.1 (ff:ff:ff:ff:ff:ff) tell 192.168.1.10, length 28", row.Info);
        Assert.Equal("ARP", row.Protocol);
        Assert.Equal("ff:ff:ff:ff:ff:ff", row.DestinationMac);
    }

    [Fact]
    public void Summarize_ArpReply_IsAt()
    {
        var row = Summarize(Arp(ArpOperation.Response, Bridge, Gateway, Vm1, Guest));
        Assert.Equal("ARP, Reply 192.168.1.1 is-at 52:54:00:12:34:01, length 28", row.Info);
    }

    [Fact]
    public void Summarize_DnsQuery_ShowsIdRecursionTypeAndName()
    {
        var row = Summarize(Udp(40000, 53, DnsQuery(), Guest, Gateway));
        Assert.Equal("IP 192.168.1.10.40000 > 192.168.1.1.53: 1234+ A? example.com. (29)", row.Info);
        Assert.Equal("DNS", row.Protocol);
    }

    [Fact]
    public void Summarize_DnsResponse_ShowsCountsAndAnswer()
    {
        var row = Summarize(Udp(53, 40000, DnsResponse(), Gateway, Guest));
        Assert.Equal("IP 192.168.1.1.53 > 192.168.1.10.40000: 1234 1/0/0 A 93.184.216.34 (45)", row.Info);
    }

    [Fact]
    public void Summarize_DhcpDiscover_ShowsClientMac()
    {
        var bootp = new byte[300];
        (bootp[0], bootp[1], bootp[2]) = (1, 1, 6); // BOOTREQUEST, Ethernet, 6-byte addresses
        Vm1.GetAddressBytes().CopyTo(bootp, 28);
        var row = Summarize(Udp(68, 67, bootp, System.Net.IPAddress.Any, System.Net.IPAddress.Broadcast));
        Assert.Equal("IP 0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 52:54:98:76:54:30, length 300", row.Info);
    }

    [Fact]
    public void Summarize_TruncatedFrame_MalformedRow()
    {
        var frame = Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server);
        var row = Summarize(frame[..40]);

        Assert.True(row.Malformed);
        Assert.Equal("IP truncated-ip - 58 bytes missing! 192.168.1.10 > 203.0.113.5:  [|icmp]", row.Info);
        Assert.Equal("52:54:98:76:54:30", row.SourceMac);
    }

    [Fact]
    public void Summarize_FrameShorterThanEthernetHeader_MalformedRow()
    {
        var row = Summarize([1, 2, 3, 4, 5]);
        Assert.True(row.Malformed);
        Assert.Equal(" [|ether]", row.Info);
    }

    [Fact]
    public void Summarize_GarbageAfterIPv4EtherType_MalformedRow()
    {
        byte[] frame = [.. Bridge.GetAddressBytes(), .. Vm1.GetAddressBytes(), 0x08, 0x00, .. Enumerable.Repeat((byte)0xff, 46)];
        var row = Summarize(frame);

        Assert.True(row.Malformed);
        Assert.Equal("IP15 (invalid)", row.Info);
    }

    [Fact]
    public void Summarize_RandomBytes_NeverThrows()
    {
        var random = new Random(8);
        var malformed = 0;
        for (var i = 0; i < 5000; i++)
        {
            var frame = new byte[random.Next(0, 120)];
            random.NextBytes(frame);
            if (frame.Length > 13 && i % 2 == 0) (frame[12], frame[13]) = (0x08, (byte)(i % 4 == 0 ? 0x00 : 0x06));
            var row = Summarize(frame);
            Assert.NotNull(row.Info);
            if (row.Malformed) malformed++;
        }
        Assert.True(malformed > 0);
    }
    [Fact]
    public void Summarize_VlanTaggedEcho_DescribesWhatTheTagCarries()
    {
        var frame = WireFrames.Vlan([10], 0x0800, WireFrames.Ip4("192.168.1.10", "203.0.113.5", WireFrames.Icmp, WireFrames.IcmpMessage(8, 0, 5, 1, new byte[56])));
        var row = Summarize(frame);
        Assert.Equal("IP 192.168.1.10 > 203.0.113.5: ICMP echo request, id 5, seq 1, length 64", row.Info);
        Assert.False(row.Malformed);
    }

    [Fact]
    public void Summarize_24ByteFrame_MalformedInTcpdumpsWords()
    {
        var row = Summarize(Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server)[..24]);
        Assert.Equal("IP  [|ip]", row.Info);
        Assert.True(row.Malformed);
    }

    [Fact]
    public void Summarize_HandshakeWithSequences_RelativeNumbersAfterSynAck()
    {
        var sequences = new TcpSequences();
        byte[] Frame(byte[] segment, string source, string destination) => WireFrames.Ip4Frame(source, destination, WireFrames.Tcp, segment);
        PacketRow Row(byte[] frame) => PacketSummarizer.Summarize(1, 0, frame.Length, frame, 0, frame.Length, LinkLayers.Ethernet, default, sequences);

        Row(Frame(WireFrames.TcpSegment(40000, 80, 1000, 0, WireFrames.Syn, 64240), "192.168.1.10", "203.0.113.5"));
        var synAck = Row(Frame(WireFrames.TcpSegment(80, 40000, 5000, 1001, WireFrames.Syn | WireFrames.Ack, 65160), "203.0.113.5", "192.168.1.10"));
        var data = Row(Frame(WireFrames.TcpSegment(40000, 80, 1001, 5001, WireFrames.Ack, 502, payload: new byte[10]), "192.168.1.10", "203.0.113.5"));

        Assert.Contains("seq 5000, ack 1001,", synAck.Info, StringComparison.Ordinal);
        Assert.Contains("seq 1:11, ack 1,", data.Info, StringComparison.Ordinal);
    }

    [Fact]
    public void TcpSequences_PastMaxFlows_StartsOverBounded()
    {
        var sequences = new TcpSequences();
        byte[] a = [10, 0, 0, 1], b = [10, 0, 0, 2];
        for (var port = 0; port <= TcpSequences.MaxFlows; port++)
            sequences.Relative(a, b, (ushort)(port + 1), 80, 100, 200, syn: false);
        // The first conversation was forgotten when the table started over: its next segment reads as a first one.
        var again = sequences.Relative(a, b, 1, 80, 150, 250, syn: false);
        Assert.Equal((150u, 250u), (again.Seq, again.Ack));
    }
}

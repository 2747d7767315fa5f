using NetDashboard.Lab.Model;
using System.Net;
using System.Net.NetworkInformation;
using NetDashboard.Lab.Capture.Correlation;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class CorrelationTests
{
    private const long T0 = 1_700_000_000_000_000;
    private static readonly InterfaceRef Tap0 = InterfaceRef.Host("tap0");
    private static readonly InterfaceRef Tap1 = InterfaceRef.Host("tap1");
    private static readonly InterfaceRef Br0 = InterfaceRef.Host("br0");
    private static readonly InterfaceRef Ens160 = InterfaceRef.Host("ens160");

    private readonly PacketCorrelator _correlator = new();
    private readonly Dictionary<InterfaceRef, long> _rows = [];

    /// <summary>One capture's next row: the row numbers are per interface, like the captures'.</summary>
    private PacketCorrelation See(InterfaceRef iface, long micros, byte[] frame, PacketCorrelator? correlator = null)
    {
        var row = _rows.GetValueOrDefault(iface);
        _rows[iface] = row + 1;
        return (correlator ?? _correlator).Observe(iface, row, micros, frame);
    }

    private PacketJourney Journey(PacketCorrelation packet) => Assert.IsType<PacketJourney>(_correlator.Journey(packet.GroupId));

    private static InterfaceRef[] Interfaces(PacketJourney journey) => [.. journey.Hops.Select(h => h.Interface)];

    private static string[] Changes(JourneyHop hop) => [.. hop.Changes.Select(c => $"{c.Field} {c}")];

    /// <summary>
    /// One ping through the host's NAT: the frames as tap/br0 and as ens160 show them. MASQUERADE writes the uplink's
    /// address in (and <paramref name="NatId"/> for the id when another guest holds it); the router takes one off the TTL.
    /// </summary>
    private sealed record Ping(IPAddress Guest, PhysicalAddress Mac, ushort Id, ushort NatId, ushort Sequence, ushort RequestIpId, ushort ReplyIpId)
    {
        // ping's data starts with the time it was sent: each sequence has its own.
        public byte[] Data { get; } = [.. BitConverter.GetBytes(T0 + Sequence), .. new byte[48]];

        public byte[] RequestInside => Echo(IcmpV4TypeCode.EchoRequest, Id, Sequence, Guest, Server, new Framing(Mac, Bridge, 64, RequestIpId), Data);
        public byte[] RequestOutside => Echo(IcmpV4TypeCode.EchoRequest, NatId, Sequence, Uplink, Server, new Framing(UplinkMac, WanMac, 63, RequestIpId), Data);
        public byte[] ReplyOutside => Echo(IcmpV4TypeCode.EchoReply, NatId, Sequence, Server, Uplink, new Framing(WanMac, UplinkMac, 64, ReplyIpId), Data);
        public byte[] ReplyInside => Echo(IcmpV4TypeCode.EchoReply, Id, Sequence, Server, Guest, new Framing(Bridge, Mac, 63, ReplyIpId), Data);
    }

    private static readonly Ping Vm1Ping = new(Guest, Vm1, 1234, 1234, 1, 0x4001, 0x9001);

    private (PacketCorrelation Request, PacketCorrelation Reply) PingThroughNat(Ping ping, long start, InterfaceRef? through = null)
    {
        var tap = through ?? Tap0;
        var request = See(tap, start, ping.RequestInside);
        See(Br0, start + 15, ping.RequestInside);
        See(Ens160, start + 40, ping.RequestOutside);
        var reply = See(Ens160, start + 300, ping.ReplyOutside);
        See(Br0, start + 330, ping.ReplyInside);
        See(tap, start + 340, ping.ReplyInside);
        return (request, reply);
    }

    [Fact]
    public void Observe_PingThroughNat_OneGroupOfThreeHopsWithSourceAndTtlRewrittenOnEns160()
    {
        var tap = See(Tap0, T0, Vm1Ping.RequestInside);
        var bridge = See(Br0, T0 + 15, Vm1Ping.RequestInside);
        var uplink = See(Ens160, T0 + 40, Vm1Ping.RequestOutside);

        Assert.Equal(tap.GroupId, bridge.GroupId);
        Assert.Equal(tap.GroupId, uplink.GroupId);
        Assert.Equal(3, _correlator.InterfaceCount(tap.GroupId));
        var journey = Journey(tap);
        Assert.Equal([Tap0, Br0, Ens160], Interfaces(journey));
        Assert.Equal([0L, 15, 40], journey.Hops.Select(h => h.OffsetMicros));
        Assert.Equal([0L, 0, 0], journey.Hops.Select(h => h.Sequence));
        Assert.Empty(journey.Hops[0].Changes);
        Assert.Empty(journey.Hops[1].Changes);
        Assert.Equal(
            ["SourceMac 52:54:98:76:54:30 → 52:54:00:ab:cd:01", "DestinationMac 52:54:00:12:34:01 → 52:54:00:ab:cd:02",
             "Source 192.168.1.10 → 10.180.13.232", "Ttl 64 → 63"],
            Changes(journey.Hops[2]));
    }

    [Fact]
    public void Observe_PingReplyThroughNat_SameFlowReverseRewriteAndLinkedAsTheReply()
    {
        var (request, reply) = PingThroughNat(Vm1Ping, T0);

        Assert.NotEqual(request.GroupId, reply.GroupId);
        Assert.Equal(request.FlowId, reply.FlowId);
        var back = Journey(reply);
        Assert.Equal([Ens160, Br0, Tap0], Interfaces(back));
        Assert.Equal(
            ["SourceMac 52:54:00:ab:cd:02 → 52:54:00:12:34:01", "DestinationMac 52:54:00:ab:cd:01 → 52:54:98:76:54:30",
             "Destination 10.180.13.232 → 192.168.1.10", "Ttl 64 → 63"],
            Changes(back.Hops[1]));
        Assert.Equal([reply.GroupId], Journey(request).ReplyGroupIds);
        Assert.Empty(back.ReplyGroupIds);
    }

    [Fact]
    public void Observe_TwoGuestsWithCollidingIcmpIds_EachRequestLinkedToItsOwnReply()
    {
        var vm1 = Vm1Ping;
        var vm2 = new Ping(Guest2, Vm2, 1234, 5000, 1, 0x4002, 0x9002); // NAT gave vm2 another id
        var request1 = See(Tap0, T0, vm1.RequestInside);
        var request2 = See(Tap1, T0 + 5, vm2.RequestInside);
        See(Br0, T0 + 15, vm1.RequestInside);
        See(Br0, T0 + 20, vm2.RequestInside);
        See(Ens160, T0 + 40, vm1.RequestOutside);
        See(Ens160, T0 + 45, vm2.RequestOutside);
        var reply1 = See(Ens160, T0 + 300, vm1.ReplyOutside);
        var reply2 = See(Ens160, T0 + 305, vm2.ReplyOutside);
        See(Br0, T0 + 330, vm1.ReplyInside);
        See(Br0, T0 + 335, vm2.ReplyInside);
        See(Tap0, T0 + 340, vm1.ReplyInside);
        See(Tap1, T0 + 345, vm2.ReplyInside);

        Assert.Equal([Tap0, Br0, Ens160], Interfaces(Journey(request1)));
        Assert.Equal([Tap1, Br0, Ens160], Interfaces(Journey(request2)));
        Assert.Contains("IcmpId 1234 → 5000", Changes(Journey(request2).Hops[2]));
        Assert.DoesNotContain(Journey(request1).Hops[2].Changes, c => c.Field == HeaderField.IcmpId);
        Assert.Contains("IcmpId 5000 → 1234", Changes(Journey(reply2).Hops[1]));
        Assert.Equal([reply1.GroupId], Journey(request1).ReplyGroupIds);
        Assert.Equal([reply2.GroupId], Journey(request2).ReplyGroupIds);
        Assert.NotEqual(Journey(request1).FlowId, Journey(request2).FlowId);
    }

    [Fact]
    public void Observe_TwoGuestsSendingIdenticalPingsWithConntrack_ConntrackTellsThemApart()
    {
        // Same id, sequence, data and IP ids: only the addresses differ, and MASQUERADE erases them on ens160.
        var vm1 = Vm1Ping;
        var vm2 = vm1 with { Guest = Guest2, Mac = Vm2, NatId = 5000 };
        foreach (var line in new[]
        {
            "[NEW] icmp     1 30 src=192.168.1.10 dst=203.0.113.5 type=8 code=0 id=1234 [UNREPLIED] src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=1234",
            "[NEW] icmp     1 30 src=192.168.1.11 dst=203.0.113.5 type=8 code=0 id=1234 [UNREPLIED] src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=5000",
        })
        {
            Assert.True(ConntrackLine.TryParse(line, out var entry));
            _correlator.ObserveConntrack(entry);
        }

        // ens160's block is handed over before br0's.
        var request1 = See(Tap0, T0, vm1.RequestInside);
        var request2 = See(Tap1, T0 + 5, vm2.RequestInside);
        var outside2 = See(Ens160, T0 + 45, vm2.RequestOutside);
        var outside1 = See(Ens160, T0 + 40, vm1.RequestOutside);
        See(Br0, T0 + 20, vm2.RequestInside);
        See(Br0, T0 + 15, vm1.RequestInside);
        var reply1 = See(Ens160, T0 + 300, vm1.ReplyOutside);
        var reply2 = See(Ens160, T0 + 305, vm2.ReplyOutside);
        See(Br0, T0 + 335, vm2.ReplyInside);
        See(Br0, T0 + 330, vm1.ReplyInside);
        See(Tap1, T0 + 345, vm2.ReplyInside);
        See(Tap0, T0 + 340, vm1.ReplyInside);

        Assert.Equal(request1.GroupId, outside1.GroupId);
        Assert.Equal(request2.GroupId, outside2.GroupId);
        Assert.Equal([Tap0, Br0, Ens160], Interfaces(Journey(request1)));
        Assert.Equal([Tap1, Br0, Ens160], Interfaces(Journey(request2)));
        Assert.Equal([Ens160, Br0, Tap0], Interfaces(Journey(reply1)));
        Assert.Equal([Ens160, Br0, Tap1], Interfaces(Journey(reply2)));
        Assert.Equal([reply1.GroupId], Journey(request1).ReplyGroupIds);
        Assert.Equal([reply2.GroupId], Journey(request2).ReplyGroupIds);
    }

    private static TcpPacket Segment(ushort sourcePort, ushort destinationPort, uint sequence, uint acknowledgment, bool syn = false, byte[]? data = null) =>
        new(sourcePort, destinationPort)
        {
            Synchronize = syn, Acknowledgment = acknowledgment != 0, SequenceNumber = sequence, AcknowledgmentNumber = acknowledgment, PayloadData = data ?? [],
        };

    /// <summary>
    /// One TCP segment of vm1's connection to the server's port 80 through NAT, seen on its way: MASQUERADE gave the
    /// connection source port 1024 on ens160 (another guest held 40000).
    /// </summary>
    private PacketCorrelation TcpThroughNat(ref long micros, bool fromGuest, uint sequence, uint acknowledgment, ushort ipId, bool syn = false, byte[]? data = null)
    {
        if (fromGuest)
        {
            var inside = Tcp(Segment(40000, 80, sequence, acknowledgment, syn, data), Guest, Server, new Framing(Vm1, Bridge, 64, ipId));
            var first = See(Tap0, micros += 100, inside);
            See(Br0, micros += 10, inside);
            See(Ens160, micros += 10, Tcp(Segment(1024, 80, sequence, acknowledgment, syn, data), Uplink, Server, new Framing(UplinkMac, WanMac, 63, ipId)));
            return first;
        }
        var answer = See(Ens160, micros += 100, Tcp(Segment(80, 1024, sequence, acknowledgment, syn, data), Server, Uplink, new Framing(WanMac, UplinkMac, 64, ipId)));
        var back = Tcp(Segment(80, 40000, sequence, acknowledgment, syn, data), Server, Guest, new Framing(Bridge, Vm1, 63, ipId));
        See(Br0, micros += 10, back);
        See(Tap0, micros += 10, back);
        return answer;
    }

    [Fact]
    public void Observe_TcpThroughNatWithSourcePortRewritten_SegmentsGroupedOneFlowAndAnswersLinked()
    {
        var get = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        var micros = T0;
        var syn = TcpThroughNat(ref micros, fromGuest: true, 1000, 0, 0x5001, syn: true);
        var synAck = TcpThroughNat(ref micros, fromGuest: false, 5000, 1001, 0x7001, syn: true);
        var ack = TcpThroughNat(ref micros, fromGuest: true, 1001, 5001, 0x5002);
        var request = TcpThroughNat(ref micros, fromGuest: true, 1001, 5001, 0x5003, data: get);
        var response = TcpThroughNat(ref micros, fromGuest: false, 5001, 1001 + (uint)get.Length, 0x7002, data: "HTTP/1.0 200 OK\r\n"u8.ToArray());

        Assert.Equal([Tap0, Br0, Ens160], Interfaces(Journey(syn)));
        Assert.Equal(
            ["SourceMac 52:54:98:76:54:30 → 52:54:00:ab:cd:01", "DestinationMac 52:54:00:12:34:01 → 52:54:00:ab:cd:02",
             "Source 192.168.1.10 → 10.180.13.232", "Ttl 64 → 63", "SourcePort 40000 → 1024"],
            Changes(Journey(syn).Hops[2]));
        Assert.Equal([Ens160, Br0, Tap0], Interfaces(Journey(synAck)));
        Assert.Contains("DestinationPort 1024 → 40000", Changes(Journey(synAck).Hops[1]));
        Assert.Single(new[] { syn, synAck, ack, request, response }.Select(p => Journey(p).FlowId).Distinct());
        Assert.Equal([synAck.GroupId], Journey(syn).ReplyGroupIds);
        Assert.Equal([response.GroupId], Journey(request).ReplyGroupIds);
        Assert.Empty(Journey(ack).ReplyGroupIds); // a bare ACK asks for no answer
    }

    [Fact]
    public void Observe_TcpRetransmission_TwoGroupsEvenWhenTheCopiesArriveTogether()
    {
        var data = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        byte[] Inside(ushort ipId) => Tcp(Segment(40000, 80, 1001, 5001, data: data), Guest, Server, new Framing(Vm1, Bridge, 64, ipId));
        byte[] Outside(ushort ipId) => Tcp(Segment(1024, 80, 1001, 5001, data: data), Uplink, Server, new Framing(UplinkMac, WanMac, 63, ipId));
        const long Rto = 200_000;

        // Same sequence number and data, a new IP id; each capture hands over one block holding both copies.
        var original = See(Tap0, T0, Inside(0x5003));
        var retransmission = See(Tap0, T0 + Rto, Inside(0x5004));
        See(Br0, T0 + 10, Inside(0x5003));
        See(Br0, T0 + Rto + 10, Inside(0x5004));
        See(Ens160, T0 + 20, Outside(0x5003));
        See(Ens160, T0 + Rto + 20, Outside(0x5004));

        Assert.NotEqual(original.GroupId, retransmission.GroupId);
        Assert.Equal([T0, T0 + 10, T0 + 20], Journey(original).Hops.Select(h => h.TimestampMicros));
        Assert.Equal([T0 + Rto, T0 + Rto + 10, T0 + Rto + 20], Journey(retransmission).Hops.Select(h => h.TimestampMicros));
        Assert.Equal(original.FlowId, retransmission.FlowId);
    }

    [Fact]
    public void Observe_PacketDroppedAfterBr0_GroupHasTap0AndBr0Only()
    {
        // Forwarding is off: the host takes the request on br0 and nothing leaves ens160.
        var request = See(Tap0, T0, Vm1Ping.RequestInside);
        See(Br0, T0 + 15, Vm1Ping.RequestInside);
        See(Ens160, T0 + 500, (Vm1Ping with { Sequence = 9, RequestIpId = 0x4100 }).RequestOutside); // another ping, later

        var journey = Journey(request);
        Assert.Equal([Tap0, Br0], Interfaces(journey));
        Assert.Equal(2, _correlator.InterfaceCount(request.GroupId));
        Assert.Empty(journey.ReplyGroupIds);
    }

    [Fact]
    public void Observe_HopsHandedOverOutOfOrder_JourneyInKernelTimeOrder()
    {
        var uplink = See(Ens160, T0 + 40, Vm1Ping.RequestOutside);
        var tap = See(Tap0, T0, Vm1Ping.RequestInside);
        var bridge = See(Br0, T0 + 15, Vm1Ping.RequestInside);

        Assert.Equal(uplink.GroupId, tap.GroupId);
        Assert.Equal(uplink.GroupId, bridge.GroupId);
        var journey = Journey(tap);
        Assert.Equal([Tap0, Br0, Ens160], Interfaces(journey));
        Assert.Equal([0L, 15, 40], journey.Hops.Select(h => h.OffsetMicros));
        Assert.Empty(journey.Hops[1].Changes);
        Assert.Contains("Source 192.168.1.10 → 10.180.13.232", Changes(journey.Hops[2]));
    }

    [Fact]
    public void Observe_OutsideHopFirstAfterAnEarlierDrop_StillOneFlow()
    {
        // The first request stopped after br0 (forwarding off); then forwarding came back, and ens160's block came first.
        var dropped = See(Tap0, T0, Vm1Ping.RequestInside);
        See(Br0, T0 + 15, Vm1Ping.RequestInside);
        var next = Vm1Ping with { Sequence = 2, RequestIpId = 0x4003 };
        var outside = See(Ens160, T0 + 1_000_040, next.RequestOutside);
        var inside = See(Tap0, T0 + 1_000_000, next.RequestInside);

        Assert.Equal(outside.GroupId, inside.GroupId);
        Assert.Equal(Journey(dropped).FlowId, Journey(inside).FlowId);
    }

    [Fact]
    public void Observe_OutsideTupleHandedToAnotherGuestLater_NewFlowNotTheOldOne()
    {
        // vm1's conntrack entry expired (30 s); NAT now gives vm2 the outside id vm1 had.
        var (vm1Request, _) = PingThroughNat(Vm1Ping, T0);
        var vm2 = new Ping(Guest2, Vm2, 1234, 1234, 1, 0x4002, 0x9002);
        var (vm2Request, vm2Reply) = PingThroughNat(vm2, T0 + 40_000_000, Tap1);

        Assert.NotEqual(vm1Request.FlowId, Journey(vm2Request).FlowId);
        Assert.Equal([Tap1, Br0, Ens160], Interfaces(Journey(vm2Request)));
        Assert.Equal([vm2Reply.GroupId], Journey(vm2Request).ReplyGroupIds);
    }

    [Fact]
    public void Observe_SameFrameTwiceOnOneInterface_TwoPacketsEachJoinedByTheNearestCopy()
    {
        // ARP asks again a second later with the very same bytes; br0's block holds both copies too.
        var who = Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway);
        var first = See(Tap0, T0, who);
        var second = See(Tap0, T0 + 1_000_000, who);
        var firstOnBridge = See(Br0, T0 + 10, who);
        var secondOnBridge = See(Br0, T0 + 1_000_010, who);

        Assert.NotEqual(first.GroupId, second.GroupId);
        Assert.Equal(first.GroupId, firstOnBridge.GroupId);
        Assert.Equal(second.GroupId, secondOnBridge.GroupId);
        Assert.Equal(0, first.FlowId);
    }

    [Fact]
    public void Observe_PastTheWindow_OldPacketNotJoinedButItsJourneyKept()
    {
        var old = See(Tap0, T0, Vm1Ping.RequestInside);
        See(Tap0, T0 + 2_500_000, (Vm1Ping with { Sequence = 3, RequestIpId = 0x4009 }).RequestInside);
        var late = See(Br0, T0 + 2_500_001, Vm1Ping.RequestInside);

        Assert.NotEqual(old.GroupId, late.GroupId);
        Assert.Equal(1, _correlator.InterfaceCount(late.GroupId));
        Assert.Equal(1, _correlator.InterfaceCount(old.GroupId));
        Assert.Equal([Tap0], _correlator.Journey(old.GroupId)!.Hops.Select(h => h.Interface));
    }

    [Fact]
    public void Journey_SecondsAfterThePacketWithTrafficSince_StillHasEveryHopAndCount()
    {
        PacketCorrelation request = default;
        // The guest pings once a second; a person clicks the first request's row 10 s later.
        for (ushort seq = 1; seq <= 10; seq++)
        {
            var ping = Vm1Ping with { Sequence = seq, RequestIpId = (ushort)(0x4000 + seq) };
            var micros = T0 + (seq - 1) * 1_000_000L;
            var onTap = See(Tap0, micros, ping.RequestInside);
            See(Br0, micros + 10, ping.RequestInside);
            See(Ens160, micros + 30, ping.RequestOutside);
            if (seq == 1) request = onTap;
        }

        Assert.Equal(3, _correlator.InterfaceCount(request.GroupId));
        Assert.Equal([Tap0, Br0, Ens160], _correlator.Journey(request.GroupId)!.Hops.Select(h => h.Interface));
    }

    [Fact]
    public void Observe_BeyondCapacity_OldestForgotten()
    {
        var correlator = new PacketCorrelator(new CorrelationOptions { Capacity = 16 });
        var packets = Enumerable.Range(0, 40)
            .Select(i => See(Tap0, T0 + i, Udp(40000, 53, [(byte)i], Guest, Server, new Framing(Vm1, Bridge, 64, (ushort)i)), correlator))
            .ToList();

        Assert.Null(correlator.Journey(packets[0].GroupId));
        Assert.Null(correlator.Journey(packets[23].GroupId));
        Assert.All(packets[25..], p => Assert.Equal(1, correlator.InterfaceCount(p.GroupId)));
    }

    [Fact]
    public void Observe_MoreConversationsThanFlowCapacity_OldestTuplesForgottenNewestStillLinked()
    {
        var correlator = new PacketCorrelator(new CorrelationOptions { FlowCapacity = 16 });
        for (ushort port = 1; port <= 200; port++)
            See(Tap0, T0 + port, Udp(port, 9999, [(byte)port], Guest, Server, new Framing(Vm1, Bridge, 64, port)), correlator);

        var query = See(Tap0, T0 + 1000, Udp(40000, 53, DnsQuery(), Guest, Server, new Framing(Vm1, Bridge, 64, 0x6001)), correlator);
        var answer = See(Tap0, T0 + 1400, Udp(53, 40000, DnsResponse(), Server, Guest, new Framing(Bridge, Vm1, 63, 0x8001)), correlator);

        Assert.Equal(query.FlowId, answer.FlowId);
        Assert.Equal([answer.GroupId], correlator.Journey(query.GroupId)!.ReplyGroupIds);
    }

    [Fact]
    public void Observe_FrameOnMoreInterfacesThanAGroupHolds_TheNinthStartsAnotherGroup()
    {
        var broadcast = Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway);
        var groups = Enumerable.Range(0, 9).Select(i => See(InterfaceRef.Host($"tap{i}"), T0 + i, broadcast).GroupId).ToList();

        Assert.Single(groups[..8].Distinct());
        Assert.NotEqual(groups[0], groups[8]);
        Assert.Equal(8, _correlator.InterfaceCount(groups[0]));
    }

    [Fact]
    public void Observe_MoreInterfacesThanALabHas_NotCorrelated()
    {
        for (var i = 0; i < 64; i++)
            Assert.NotEqual(PacketCorrelation.None, See(InterfaceRef.Host($"veth{i}"), T0, Vm1Ping.RequestInside));

        Assert.Equal(PacketCorrelation.None, See(InterfaceRef.Host("one-too-many"), T0, Vm1Ping.RequestInside));
    }

    [Fact]
    public void Observe_UdpThroughNat_ReplyIsTheFirstDatagramBack()
    {
        var query = See(Tap0, T0, Udp(40000, 53, DnsQuery(), Guest, Server, new Framing(Vm1, Bridge, 64, 0x6001)));
        See(Br0, T0 + 10, Udp(40000, 53, DnsQuery(), Guest, Server, new Framing(Vm1, Bridge, 64, 0x6001)));
        See(Ens160, T0 + 20, Udp(1024, 53, DnsQuery(), Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x6001)));
        var answer = See(Ens160, T0 + 400, Udp(53, 1024, DnsResponse(), Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x8001)));
        See(Br0, T0 + 420, Udp(53, 40000, DnsResponse(), Server, Guest, new Framing(Bridge, Vm1, 63, 0x8001)));

        Assert.Equal([answer.GroupId], Journey(query).ReplyGroupIds);
        Assert.Contains("DestinationPort 1024 → 40000", Changes(Journey(answer).Hops[1]));
    }

    [Fact]
    public void Observe_TruncatedOrMalformedFrames_NoExceptionAndStillCorrelatedAsFrames()
    {
        var ping = Vm1Ping.RequestInside;
        byte[] broken = [.. ping];
        broken[14] = 0x4f; // IHL of 60 bytes in a 20-byte header
        byte[] zeroLength = [.. ping];
        zeroLength[16] = zeroLength[17] = 0;
        byte[] badTcpOffset = Tcp(new TcpPacket(40000, 80), Guest, Server);
        badTcpOffset[14 + 20 + 12] = 0x10; // data offset 4 bytes
        byte[][] frames =
        [
            [], new byte[13], new byte[14], ping[..20], ping[..34], ping[..41], broken, zeroLength, badTcpOffset,
            [.. ping[..12], 0x81, 0x00], [.. ping[..12], 0x81, 0x00, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02, 0x81, 0x00],
        ];

        foreach (var frame in frames)
        {
            var tap = See(Tap0, T0, frame);
            var bridge = See(Br0, T0 + 1, frame);
            Assert.Equal(frame.Length >= 14, tap.GroupId != 0);
            Assert.Equal(tap.GroupId, bridge.GroupId); // identical frames, whatever is in them
        }
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            var frame = new byte[random.Next(0, 300)];
            random.NextBytes(frame);
            if (frame.Length > 14 && i % 2 == 0)
                ping.AsSpan(0, Math.Min(frame.Length, 34)).CopyTo(frame); // plausible headers, garbage behind
            var packet = See(i % 3 == 0 ? Br0 : Tap0, T0 + i, frame);
            if (packet.GroupId != 0)
                Assert.NotNull(_correlator.Journey(packet.GroupId));
        }
    }

    [Fact]
    public void Observe_ThreeCaptureThreadsAtOnce_EveryPacketGroupedWhole()
    {
        const int Pings = 3000;
        var pings = Enumerable.Range(0, Pings).Select(i => Vm1Ping with { Sequence = (ushort)i, RequestIpId = (ushort)(i + 1) }).ToArray();
        var inside = pings.Select(p => p.RequestInside).ToArray();
        var outside = pings.Select(p => p.RequestOutside).ToArray();
        var groups = new long[3][];
        void Capture(int index, InterfaceRef iface, byte[][] frames, long delay) =>
            groups[index] = [.. frames.Select((frame, i) => _correlator.Observe(iface, i, T0 + i * 50L + delay, frame).GroupId)];

        Parallel.Invoke(
            () => Capture(0, Tap0, inside, 0),
            () => Capture(1, Br0, inside, 15),
            () => Capture(2, Ens160, outside, 40));

        for (var i = 0; i < Pings; i++)
        {
            Assert.Equal(groups[0][i], groups[1][i]);
            Assert.Equal(groups[0][i], groups[2][i]);
        }
        Assert.Equal(Pings, groups[0].Distinct().Count());
    }

    [Fact]
    public void Observe_SecondCaptureOfAnInterfaceWithAnotherFilter_CountsInterfacesNotCaptures()
    {
        // The pane on ens160 changed its filter: the old capture still runs beside the new one, which sees the same packets.
        const string Ens160Icmp = "host/ens160 [icmp]";
        var request = See(Tap0, T0, Vm1Ping.RequestInside);
        See(Br0, T0 + 15, Vm1Ping.RequestInside);
        var outside = See(Ens160, T0 + 40, Vm1Ping.RequestOutside);
        var filtered = _correlator.Observe(Ens160, Ens160Icmp, 0, T0 + 40, Vm1Ping.RequestOutside);
        var reply = _correlator.Observe(Ens160, Ens160Icmp, 1, T0 + 300, Vm1Ping.ReplyOutside);
        var replyUnfiltered = See(Ens160, T0 + 300, Vm1Ping.ReplyOutside);
        See(Br0, T0 + 330, Vm1Ping.ReplyInside);

        Assert.Equal(request.GroupId, outside.GroupId);
        Assert.Equal(request.GroupId, filtered.GroupId);
        Assert.Equal(request.FlowId, filtered.FlowId);
        Assert.Equal(3, _correlator.InterfaceCount(request.GroupId));
        Assert.Equal([Tap0, Br0, Ens160], Interfaces(Journey(request)));
        Assert.Equal(reply.GroupId, replyUnfiltered.GroupId);
        Assert.Equal(2, _correlator.InterfaceCount(reply.GroupId));
        Assert.Equal([Ens160, Br0], Interfaces(Journey(reply)));
    }

    [Fact]
    public void Observe_SameFrameTwiceSeenByTwoCapturesOfOneInterface_TwoPacketsEachOnOneInterface()
    {
        var who = Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway);
        var first = _correlator.Observe(Tap0, Tap0.ToString(), 0, T0, who);
        var second = _correlator.Observe(Tap0, Tap0.ToString(), 1, T0 + 1_000_000, who);
        var firstAgain = _correlator.Observe(Tap0, "host/tap0 [arp]", 0, T0, who);
        var secondAgain = _correlator.Observe(Tap0, "host/tap0 [arp]", 1, T0 + 1_000_000, who);

        Assert.NotEqual(first.GroupId, second.GroupId);
        Assert.Equal(first.GroupId, firstAgain.GroupId);
        Assert.Equal(second.GroupId, secondAgain.GroupId);
        Assert.Equal(1, _correlator.InterfaceCount(first.GroupId));
        Assert.Equal(1, _correlator.InterfaceCount(second.GroupId));
    }

    [Fact]
    public void Observe_PaneChangesItsFilterSeventyTimes_EveryNewCaptureStillCorrelated()
    {
        // Each filter is another capture; an old one that has seen nothing for longer than the window gives its place up.
        for (var i = 0; i < 70; i++)
        {
            var micros = T0 + i * 3_000_000L;
            var ping = Vm1Ping with { Sequence = (ushort)i, RequestIpId = (ushort)(0x4000 + i) };
            var inside = See(Tap0, micros, ping.RequestInside);
            var outside = _correlator.Observe(Ens160, $"host/ens160 [icmp and len > {i}]", 0, micros + 40, ping.RequestOutside);

            Assert.Equal(inside.GroupId, outside.GroupId);
        }
    }

    /// <summary>conntrack's entry for vm1's ping: NAT gave it id 5000 outside, because the host's own ping holds 1234.</summary>
    private const string Vm1PingEntry =
        "[NEW] icmp     1 30 src=192.168.1.10 dst=203.0.113.5 type=8 code=0 id=1234 src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=5000";

    private static NatEntry Entry(string line)
    {
        Assert.True(ConntrackLine.TryParse(line, out var entry));
        return new NatEntry(entry.Protocol, entry.ProtocolNumber, entry.State, entry.Original, entry.Reply, entry.Unreplied, entry.Assured, DateTimeOffset.UnixEpoch);
    }

    private NatEntry Conntrack(string line)
    {
        Assert.True(ConntrackLine.TryParse(line, out var entry));
        _correlator.ObserveConntrack(entry);
        return Entry(line);
    }

    [Fact]
    public void Holds_ConntrackEntryChosen_MarksItsFlowBeforeAndAfterNatNotTheHostsOwnPingOrArp()
    {
        var vm1 = Vm1Ping with { NatId = 5000 };
        var hostPing = new Ping(Uplink, UplinkMac, 1234, 1234, 7, 0x2001, 0x9101);
        var entry = Conntrack(Vm1PingEntry);
        Conntrack("[NEW] icmp     1 30 src=10.180.13.232 dst=203.0.113.5 type=8 code=0 id=1234 src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=1234");

        var flowRows = new List<PacketCorrelation>
        {
            See(Tap0, T0, vm1.RequestInside), See(Br0, T0 + 15, vm1.RequestInside), See(Ens160, T0 + 40, vm1.RequestOutside),
            See(Ens160, T0 + 300, vm1.ReplyOutside), See(Br0, T0 + 330, vm1.ReplyInside), See(Tap0, T0 + 340, vm1.ReplyInside),
        };
        var otherRows = new List<PacketCorrelation>
        {
            See(Ens160, T0 + 500, hostPing.RequestOutside), See(Ens160, T0 + 800, hostPing.ReplyOutside),
            See(Ens160, T0 + 900, Arp(ArpOperation.Request, UplinkMac, Uplink, Broadcast, IPAddress.Parse("10.180.13.1"))),
            See(Tap0, T0 + 950, Arp(ArpOperation.Request, Vm1, Guest, Broadcast, Gateway)),
        };

        Assert.All(flowRows, row => Assert.True(_correlator.Holds(entry, row.FlowId)));
        Assert.All(otherRows, row => Assert.False(_correlator.Holds(entry, row.FlowId)));
    }

    [Fact]
    public void Holds_EntryArrivesAfterThePackets_StillMarksThemAll()
    {
        var vm1 = Vm1Ping with { NatId = 5000 };
        var (request, reply) = PingThroughNat(vm1, T0);
        var entry = Conntrack(Vm1PingEntry.Replace("[NEW]", "[UPDATE]"));

        Assert.True(_correlator.Holds(entry, request.FlowId));
        Assert.True(_correlator.Holds(entry, reply.FlowId));
        Assert.False(_correlator.Holds(Entry(Vm1PingEntry.Replace("id=1234", "id=999").Replace("id=5000", "id=998")), request.FlowId));
    }

    [Fact]
    public void PacketsOf_TwoPingsAndTheHostsOwn_EachPacketCountedOnceInItsDirection()
    {
        var entry = Conntrack(Vm1PingEntry);
        PingThroughNat(Vm1Ping with { NatId = 5000 }, T0);
        PingThroughNat(Vm1Ping with { NatId = 5000, Sequence = 2, RequestIpId = 0x4002, ReplyIpId = 0x9002 }, T0 + 1_000_000);
        var hostPing = new Ping(Uplink, UplinkMac, 1234, 1234, 7, 0x2001, 0x9101);
        See(Ens160, T0 + 1_500_000, hostPing.RequestOutside);
        var unseen = Entry("[NEW] udp      17 30 src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=53 [UNREPLIED] src=203.0.113.5 dst=10.180.13.232 sport=53 dport=40000");
        var igmp = Entry("[NEW] unknown  2 599 src=192.168.1.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=192.168.1.1");

        Assert.Equal([new FlowPackets(2, 2), new FlowPackets(0, 0), null], _correlator.PacketsOf([entry, unseen, igmp]));
    }

    private static readonly byte[] UdpInside = Udp(40000, 9, "hello"u8.ToArray(), Guest, Server, new Framing(Vm1, Bridge, 64, 0x6001));
    private static readonly byte[] UdpOutside = Udp(1024, 9, "hello"u8.ToArray(), Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x6001));

    /// <summary>The server's port 9 is closed: its kernel answers with port unreachable, which NAT turns back to vm1, quote and all.</summary>
    private static readonly byte[] UnreachableOutside = IcmpError(UdpOutside, Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x7001));
    private static readonly byte[] UnreachableInside = IcmpError(UdpInside, Server, Guest, new Framing(Bridge, Vm1, 63, 0x7001));

    [Fact]
    public void Observe_PortUnreachableThroughNat_JoinsTheUdpFlowWithTheQuoteRewriteAndAnswersTheDatagram()
    {
        var entry = Conntrack("[NEW] udp      17 30 src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=9 [UNREPLIED] src=203.0.113.5 dst=10.180.13.232 sport=9 dport=1024");
        var datagram = See(Tap0, T0, UdpInside);
        See(Br0, T0 + 10, UdpInside);
        See(Ens160, T0 + 20, UdpOutside);
        var error = See(Ens160, T0 + 300, UnreachableOutside);
        var errorInside = See(Br0, T0 + 320, UnreachableInside);
        See(Tap0, T0 + 325, UnreachableInside);

        Assert.Equal(error.GroupId, errorInside.GroupId);
        Assert.Equal(datagram.FlowId, error.FlowId);
        Assert.True(_correlator.Holds(entry, error.FlowId));
        var back = Journey(error);
        Assert.Equal([Ens160, Br0, Tap0], Interfaces(back));
        Assert.Equal(
            ["SourceMac 52:54:00:ab:cd:02 → 52:54:00:12:34:01", "DestinationMac 52:54:00:ab:cd:01 → 52:54:98:76:54:30",
             "Destination 10.180.13.232 → 192.168.1.10", "Ttl 64 → 63", "QuotedSource 10.180.13.232 → 192.168.1.10", "QuotedSourcePort 1024 → 40000"],
            Changes(back.Hops[1]));
        Assert.Equal([error.GroupId], Journey(datagram).ReplyGroupIds);
    }

    [Fact]
    public void Observe_NeedToFragFromTheRouter_JoinsThePingsFlow()
    {
        // ens160's MTU is smaller than vm1's ping with DF: the host, routing it, answers from br0's address.
        var request = See(Tap0, T0, Vm1Ping.RequestInside);
        See(Br0, T0 + 10, Vm1Ping.RequestInside);
        var needToFrag = IcmpError(Vm1Ping.RequestInside, Gateway, Guest, new Framing(Bridge, Vm1, 64, 0x0101), type: 3, code: 4);
        var error = See(Br0, T0 + 50, needToFrag);
        See(Tap0, T0 + 55, needToFrag);

        Assert.Equal(request.FlowId, error.FlowId);
        Assert.Equal([Br0, Tap0], Interfaces(Journey(error)));
        Assert.Equal([error.GroupId], Journey(request).ReplyGroupIds);
    }

    [Fact]
    public void Observe_FragmentedPingThroughNat_LaterFragmentsJoinTheFirstsFlowOnEveryInterface()
    {
        // ping -s 2000: 2008 bytes of ICMP in a 1480-byte first fragment and a 528-byte second; NAT keeps the IP id.
        var entry = Conntrack(Vm1PingEntry);
        var icmp = new byte[2008];
        icmp[0] = 8;
        icmp[4] = 1234 >> 8; icmp[5] = 1234 & 0xff; icmp[7] = 1;
        new Random(3).NextBytes(icmp.AsSpan(8));
        var icmpOutside = icmp.ToArray();
        icmpOutside[4] = 5000 >> 8; icmpOutside[5] = 5000 & 0xff;
        byte[] First(byte[] data, IPAddress source, Framing framing) => Fragment(source, Server, data[..1480], 0, true, framing);
        byte[] Second(byte[] data, IPAddress source, Framing framing) => Fragment(source, Server, data[1480..], 1480, false, framing);
        var inside = new Framing(Vm1, Bridge, 64, 0x4321);
        var outside = new Framing(UplinkMac, WanMac, 63, 0x4321);

        var first = See(Tap0, T0, First(icmp, Guest, inside));
        var second = See(Tap0, T0 + 5, Second(icmp, Guest, inside));
        var secondOnBridge = See(Br0, T0 + 15, Second(icmp, Guest, inside));
        See(Br0, T0 + 10, First(icmp, Guest, inside));
        var firstOutside = See(Ens160, T0 + 40, First(icmpOutside, Uplink, outside));
        var secondOutside = See(Ens160, T0 + 45, Second(icmpOutside, Uplink, outside));

        Assert.NotEqual(0, first.FlowId);
        Assert.Equal([first.FlowId, first.FlowId], new[] { second.FlowId, secondOnBridge.FlowId });
        Assert.Equal(first.GroupId, firstOutside.GroupId);
        Assert.Equal(second.GroupId, secondOutside.GroupId);
        Assert.Equal([Tap0, Br0, Ens160], Interfaces(Journey(second)));
        Assert.All(new[] { first, second, secondOnBridge, firstOutside, secondOutside }, row => Assert.True(_correlator.Holds(entry, row.FlowId)));
    }

    [Fact]
    public void Observe_LaterFragmentWithoutItsFirst_NoFlow()
    {
        var alone = See(Tap0, T0, Fragment(Guest, Server, new byte[528], 1480, false, new Framing(Vm1, Bridge, 64, 0x4321)));

        Assert.NotEqual(0, alone.GroupId);
        Assert.Equal(0, alone.FlowId);
    }

    [Fact]
    public void Observe_AfterWarmUp_AllocatesNothing()
    {
        var pings = Enumerable.Range(0, 2000).Select(i => Vm1Ping with { Sequence = (ushort)i, RequestIpId = (ushort)(i + 1) }).ToArray();
        var frames = pings.Select(p => (p.RequestInside, p.RequestOutside)).ToArray();
        var later = Fragment(Guest, Server, new byte[528], 1480, false, new Framing(Vm1, Bridge, 64, 0x4321));
        void Run(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                _correlator.Observe(Tap0, i, T0 + i * 100L, frames[i].RequestInside);
                _correlator.Observe(Br0, i, T0 + i * 100L + 10, frames[i].RequestInside);
                _correlator.Observe(Ens160, i, T0 + i * 100L + 20, frames[i].RequestOutside);
                _correlator.Observe(Ens160, "host/ens160 [icmp]", i, T0 + i * 100L + 20, frames[i].RequestOutside);
                _correlator.Observe(Ens160, i, T0 + i * 100L + 30, UnreachableOutside);
                _correlator.Observe(Tap0, i, T0 + i * 100L + 40, later);
            }
        }
        Run(0, 10);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(10, frames.Length);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

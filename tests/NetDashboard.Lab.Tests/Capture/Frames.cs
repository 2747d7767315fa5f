using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>Frames built with PacketDotNet, as a guest would send them in the tutorial.</summary>
internal static class Frames
{
    public static readonly PhysicalAddress Vm1 = PhysicalAddress.Parse("52-54-98-76-54-30");
    public static readonly PhysicalAddress Bridge = PhysicalAddress.Parse("52-54-00-12-34-01");
    public static readonly PhysicalAddress Broadcast = PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");
    public static readonly IPAddress Guest = IPAddress.Parse("192.168.1.10");
    public static readonly IPAddress Gateway = IPAddress.Parse("192.168.1.1");
    public static readonly IPAddress Server = IPAddress.Parse("203.0.113.5");
    public static readonly PhysicalAddress Vm2 = PhysicalAddress.Parse("52-54-98-76-54-31");
    public static readonly IPAddress Guest2 = IPAddress.Parse("192.168.1.11");
    /// <summary>ens160, the host's uplink: the address MASQUERADE writes in.</summary>
    public static readonly PhysicalAddress UplinkMac = PhysicalAddress.Parse("52-54-00-AB-CD-01");
    public static readonly IPAddress Uplink = IPAddress.Parse("10.180.13.232");
    /// <summary>eth0 of the wan namespace, the uplink's next hop.</summary>
    public static readonly PhysicalAddress WanMac = PhysicalAddress.Parse("52-54-00-AB-CD-02");

    /// <summary>What a router changes from hop to hop besides NAT: the link addresses and the TTL; and the IP id it keeps.</summary>
    public sealed record Framing(PhysicalAddress SourceMac, PhysicalAddress DestinationMac, byte Ttl = 64, ushort IpId = 0x1234);

    public static byte[] Ethernet(PhysicalAddress source, PhysicalAddress destination, Packet payload, EthernetType type = EthernetType.IPv4) =>
        new EthernetPacket(source, destination, type) { PayloadPacket = payload }.Bytes;

    /// <summary>Without <paramref name="framing"/>: vm1 to br0, IP id 0x1234, PacketDotNet's TTL.</summary>
    public static byte[] Ip(IPAddress source, IPAddress destination, Packet payload, PacketDotNet.ProtocolType protocol, Framing? framing = null)
    {
        var ip = new IPv4Packet(source, destination) { Protocol = protocol, Id = framing?.IpId ?? 0x1234, PayloadPacket = payload };
        if (framing is not null)
            ip.TimeToLive = framing.Ttl;
        return Ethernet(framing?.SourceMac ?? Vm1, framing?.DestinationMac ?? Bridge, ip);
    }

    /// <summary>ping's default: 56 bytes of data (zeros unless given), so ICMP length 64 and a 98-byte frame.</summary>
    public static byte[] Echo(IcmpV4TypeCode type, ushort id, ushort sequence, IPAddress source, IPAddress destination, Framing? framing = null, byte[]? data = null)
    {
        var bytes = new byte[64];
        data?.CopyTo(bytes, 8);
        var icmp = new IcmpV4Packet(new ByteArraySegment(bytes)) { TypeCode = type, Id = id, Sequence = sequence };
        return Ip(source, destination, icmp, PacketDotNet.ProtocolType.Icmp, framing);
    }

    public static byte[] Tcp(TcpPacket tcp, IPAddress source, IPAddress destination, Framing? framing = null) =>
        Ip(source, destination, tcp, PacketDotNet.ProtocolType.Tcp, framing);

    public static byte[] Udp(ushort sourcePort, ushort destinationPort, byte[] payload, IPAddress source, IPAddress destination, Framing? framing = null) =>
        Ip(source, destination, new UdpPacket(sourcePort, destinationPort) { PayloadData = payload }, PacketDotNet.ProtocolType.Udp, framing);

    /// <summary>
    /// An ICMP error (type 3 code 3: port unreachable) quoting the IP header and first 8 bytes after it of
    /// <paramref name="offending"/>, an Ethernet frame, as RFC 792 asks.
    /// </summary>
    public static byte[] IcmpError(byte[] offending, IPAddress source, IPAddress destination, Framing framing, byte type = 3, byte code = 3)
    {
        var headerLength = (offending[14] & 0x0f) * 4;
        byte[] bytes = [type, code, 0, 0, 0, 0, 0, 0, .. offending.AsSpan(14, headerLength + 8)];
        return Ip(source, destination, new IcmpV4Packet(new ByteArraySegment(bytes)), PacketDotNet.ProtocolType.Icmp, framing);
    }

    /// <summary>
    /// One fragment of an IP packet: <paramref name="payload"/> is its part of the packet's payload, from
    /// <paramref name="offset"/> bytes (a multiple of 8); <paramref name="more"/> for every fragment but the last.
    /// </summary>
    public static byte[] Fragment(IPAddress source, IPAddress destination, byte[] payload, int offset, bool more, Framing framing,
        PacketDotNet.ProtocolType protocol = PacketDotNet.ProtocolType.Icmp)
    {
        var ip = new IPv4Packet(source, destination)
        {
            Protocol = protocol, Id = framing.IpId, TimeToLive = framing.Ttl, FragmentOffset = offset / 8, FragmentFlags = more ? 1 : 0,
            PayloadData = payload,
        };
        return Ethernet(framing.SourceMac, framing.DestinationMac, ip);
    }

    public static byte[] Arp(ArpOperation operation, PhysicalAddress senderMac, IPAddress sender, PhysicalAddress targetMac, IPAddress target) =>
        Ethernet(senderMac, operation == ArpOperation.Request ? Broadcast : targetMac,
            new ArpPacket(operation, targetMac, target, senderMac, sender), EthernetType.Arp);

    /// <summary>A DNS query for example.com (A, recursion desired) with id 1234: 29 bytes.</summary>
    public static byte[] DnsQuery() =>
    [
        0x04, 0xd2, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
        0x00, 0x01, 0x00, 0x01,
    ];

    /// <summary>The answer: example.com A 93.184.216.34, the name compressed to a pointer: 45 bytes.</summary>
    public static byte[] DnsResponse() =>
    [
        0x04, 0xd2, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
        0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 93, 184, 216, 34,
    ];
}

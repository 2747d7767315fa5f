using System.Buffers.Binary;
using System.Net;
using PacketDotNet;
using PacketDotNet.Utils;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// Turns captured bytes into a <see cref="PacketRow"/> whose info reads like tcpdump -n's line. Decodes only what
/// the row shows (PacketDotNet parses lazily). Whatever the bytes, it returns a row: a packet that does not parse
/// is a malformed row, never an exception, so one bad frame cannot stop a capture.
/// </summary>
public static class PacketSummarizer
{
    private const int EthernetHeaderLength = 14;

    public static PacketRow Summarize(long sequence, long timestampMicros, int wireLength, byte[] frame, LinkLayers linkType = LinkLayers.Ethernet) =>
        Summarize(sequence, timestampMicros, wireLength, frame, 0, frame.Length, linkType);

    /// <param name="wireLength">The length on the wire; more than <paramref name="length"/> when the snap length cut the packet.</param>
    /// <param name="linked">The correlator's word on the packet, carried by the row from the start (no copy per packet).</param>
    public static PacketRow Summarize(long sequence, long timestampMicros, int wireLength, byte[] buffer, int offset, int length, LinkLayers linkType,
        Correlation.PacketCorrelation linked = default)
    {
        var row = new PacketRow(sequence, timestampMicros, wireLength, length, "", "", "", "", "", "", false, linked.GroupId, linked.FlowId);
        try
        {
            return Describe(row, buffer, offset, length, linkType);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Malformed(row, e.Message);
        }
    }

    private static PacketRow Describe(PacketRow row, byte[] buffer, int offset, int length, LinkLayers linkType)
    {
        if (linkType != LinkLayers.Ethernet)
        {
            var packet = Packet.ParsePacket(linkType, buffer.AsSpan(offset, length).ToArray());
            return packet.Extract<IPPacket>() is { } ip ? DescribeIp(row, ip, snapped: row.Length > length) : Malformed(row, $"no IP packet in a {linkType} frame");
        }
        if (length < EthernetHeaderLength)
            return Malformed(row, $"a {length}-byte frame is shorter than an Ethernet header");

        var ethernet = new EthernetPacket(new ByteArraySegment(buffer, offset, length));
        row = row with
        {
            DestinationMac = Mac(buffer.AsSpan(offset, 6)),
            SourceMac = Mac(buffer.AsSpan(offset + 6, 6)),
        };
        var snapped = row.Length > length;
        return ethernet.Type switch
        {
            EthernetType.IPv4 or EthernetType.IPv6 => ethernet.PayloadPacket is IPPacket ip
                ? DescribeIp(row, ip, snapped)
                : Malformed(row, $"{ethernet.Type} frame without a valid header"),
            EthernetType.Arp => DescribeArp(row, ethernet),
            var type => row with
            {
                Source = row.SourceMac,
                Destination = row.DestinationMac,
                Protocol = type.ToString(),
                Info = $"ethertype {type} (0x{(ushort)type:x4}), length {row.Length}",
            },
        };
    }

    private static PacketRow DescribeArp(PacketRow row, EthernetPacket ethernet)
    {
        if (ethernet.PayloadPacket is not ArpPacket arp || arp.HardwareAddressLength != 6 || arp.ProtocolAddressLength != 4
            || arp.HeaderSegment.Length < 28)
            return Malformed(row with { Protocol = "ARP" }, "ARP for something other than Ethernet and IPv4");
        var length = row.Length - EthernetHeaderLength;
        row = row with { Protocol = "ARP", Source = arp.SenderProtocolAddress.ToString(), Destination = arp.TargetProtocolAddress.ToString() };
        return arp.Operation switch
        {
            ArpOperation.Request => row with { Info = $"ARP, Request who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}, length {length}" },
            ArpOperation.Response => row with { Info = $"ARP, Reply {arp.SenderProtocolAddress} is-at {Mac(arp.SenderHardwareAddress.GetAddressBytes())}, length {length}" },
            var op => row with { Info = $"ARP, {op}, length {length}" },
        };
    }

    private static PacketRow DescribeIp(PacketRow row, IPPacket ip, bool snapped)
    {
        string prefix;
        int payloadLength;
        var available = ip.HeaderSegment.BytesLength - ip.HeaderSegment.Offset;
        if (ip is IPv4Packet v4)
        {
            if (v4.Version != IPVersion.IPv4 || v4.HeaderLength < 5 || v4.HeaderLength * 4 > available)
                return Malformed(row with { Protocol = "IPv4" }, "IPv4 header is not valid");
            if (v4.TotalLength < v4.HeaderLength * 4)
                return Malformed(row with { Protocol = "IPv4" }, $"IPv4 total length {v4.TotalLength} is shorter than its header");
            if (!snapped && v4.TotalLength > available)
                return Malformed(row with { Protocol = "IPv4" }, $"truncated: IPv4 total length {v4.TotalLength}, {available} bytes captured");
            prefix = "IP";
            payloadLength = v4.TotalLength - v4.HeaderLength * 4;
            row = row with { Source = v4.SourceAddress.ToString(), Destination = v4.DestinationAddress.ToString() };
            if (v4.FragmentOffset > 0)
                return row with { Protocol = "IPv4", Info = $"{prefix} {row.Source} > {row.Destination}: {v4.Protocol} fragment (id {v4.Id}, offset {v4.FragmentOffset * 8}), length {payloadLength}" };
        }
        else
        {
            var v6 = (IPv6Packet)ip;
            if (v6.Version != IPVersion.IPv6 || available < 40)
                return Malformed(row with { Protocol = "IPv6" }, "IPv6 header is not valid");
            if (!snapped && 40 + v6.PayloadLength > available)
                return Malformed(row with { Protocol = "IPv6" }, $"truncated: IPv6 payload length {v6.PayloadLength}, {available - 40} bytes captured");
            prefix = "IP6";
            payloadLength = v6.PayloadLength - v6.ExtensionHeadersLength;
            row = row with { Source = v6.SourceAddress.ToString(), Destination = v6.DestinationAddress.ToString() };
        }

        var head = $"{prefix} {row.Source}";
        return ip.PayloadPacket switch
        {
            TcpPacket tcp => DescribeTcp(row, head, tcp, payloadLength),
            UdpPacket udp => DescribeUdp(row, head, udp, snapped),
            IcmpV4Packet icmp => row with { Protocol = "ICMP", Info = $"{head} > {row.Destination}: ICMP {Icmp(icmp)}, length {payloadLength}" },
            IcmpV6Packet icmp6 => row with { Protocol = "ICMPv6", Info = $"{head} > {row.Destination}: ICMP6, {Icmp6(icmp6)}, length {payloadLength}" },
            _ => row with { Protocol = ip.Protocol.ToString(), Info = $"{head} > {row.Destination}: {ip.Protocol}, length {payloadLength}" },
        };
    }

    private static PacketRow DescribeTcp(PacketRow row, string head, TcpPacket tcp, int ipPayloadLength)
    {
        if (tcp.DataOffset < 5 || tcp.HeaderSegment.Length < 20)
            return Malformed(row with { Protocol = "TCP" }, $"TCP data offset {tcp.DataOffset} is below the minimum of 5");
        var dataLength = Math.Max(0, ipPayloadLength - tcp.DataOffset * 4);
        var text = new System.Text.StringBuilder(96);
        text.Append($"{head}.{tcp.SourcePort} > {row.Destination}.{tcp.DestinationPort}: Flags [{TcpFlags(tcp)}]");
        // tcpdump shows seq for data and for SYN/FIN/RST, as start:end when there is data.
        if (dataLength > 0)
            text.Append($", seq {tcp.SequenceNumber}:{(uint)(tcp.SequenceNumber + dataLength)}");
        else if (tcp.Synchronize || tcp.Finished || tcp.Reset)
            text.Append($", seq {tcp.SequenceNumber}");
        if (tcp.Acknowledgment)
            text.Append($", ack {tcp.AcknowledgmentNumber}");
        text.Append($", win {tcp.WindowSize}, length {dataLength}");
        return row with { Protocol = "TCP", Info = text.ToString() };
    }

    /// <summary>tcpdump's letters, in its order: F S R P . U E W.</summary>
    internal static string TcpFlags(TcpPacket tcp)
    {
        Span<char> letters = stackalloc char[8];
        var n = 0;
        if (tcp.Finished) letters[n++] = 'F';
        if (tcp.Synchronize) letters[n++] = 'S';
        if (tcp.Reset) letters[n++] = 'R';
        if (tcp.Push) letters[n++] = 'P';
        if (tcp.Acknowledgment) letters[n++] = '.';
        if (tcp.Urgent) letters[n++] = 'U';
        if (tcp.ExplicitCongestionNotificationEcho) letters[n++] = 'E';
        if (tcp.CongestionWindowReduced) letters[n++] = 'W';
        return n == 0 ? "none" : new string(letters[..n]);
    }

    private static PacketRow DescribeUdp(PacketRow row, string head, UdpPacket udp, bool snapped)
    {
        if (udp.Length < 8)
            return Malformed(row with { Protocol = "UDP" }, $"UDP length {udp.Length} is shorter than its header");
        var header = udp.HeaderSegment;
        var start = header.Offset + 8;
        var payload = header.Bytes.AsSpan(start, Math.Clamp(header.BytesLength - start, 0, udp.Length - 8));
        if (!snapped && payload.Length < udp.Length - 8)
            return Malformed(row with { Protocol = "UDP" }, $"truncated: UDP length {udp.Length}, {payload.Length + 8} bytes captured");
        var ports = $"{head}.{udp.SourcePort} > {row.Destination}.{udp.DestinationPort}: ";
        var length = udp.Length - 8;
        if (IsPort(udp, 53) || IsPort(udp, 5353))
        {
            if (DnsLine.Describe(payload, length) is { } dns)
                return row with { Protocol = "DNS", Info = ports + dns };
        }
        else if ((IsPort(udp, 67) || IsPort(udp, 68)) && payload.Length >= 34)
        {
            var kind = payload[0] == 1 ? $"Request from {Mac(payload.Slice(28, 6))}" : "Reply";
            return row with { Protocol = "DHCP", Info = $"{ports}BOOTP/DHCP, {kind}, length {length}" };
        }
        return row with { Protocol = "UDP", Info = $"{ports}UDP, length {length}" };
    }

    private static bool IsPort(UdpPacket udp, int port) => udp.SourcePort == port || udp.DestinationPort == port;

    private static string Icmp(IcmpV4Packet icmp)
    {
        var type = (int)icmp.TypeCode >> 8;
        var code = (int)icmp.TypeCode & 0xff;
        return type switch
        {
            8 => $"echo request, id {icmp.Id}, seq {icmp.Sequence}",
            0 => $"echo reply, id {icmp.Id}, seq {icmp.Sequence}",
            3 => code switch
            {
                0 => "net unreachable",
                1 => "host unreachable",
                2 => "protocol unreachable",
                3 => "port unreachable",
                4 => "need to frag",
                13 => "administratively prohibited",
                _ => $"unreachable code {code}",
            },
            11 => code == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded",
            5 => "redirect",
            _ => $"type {type}, code {code}",
        };
    }

    private static string Icmp6(IcmpV6Packet icmp)
    {
        var header = icmp.HeaderSegment;
        var body = header.Bytes.AsSpan(header.Offset, header.BytesLength - header.Offset);
        return icmp.Type switch
        {
            IcmpV6Type.EchoRequest when body.Length >= 8 => $"echo request, id {BinaryPrimitives.ReadUInt16BigEndian(body[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(body[6..])}",
            IcmpV6Type.EchoReply when body.Length >= 8 => $"echo reply, id {BinaryPrimitives.ReadUInt16BigEndian(body[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(body[6..])}",
            IcmpV6Type.NeighborSolicitation when body.Length >= 24 => $"neighbor solicitation, who has {new IPAddress(body.Slice(8, 16))}",
            IcmpV6Type.NeighborAdvertisement when body.Length >= 24 => $"neighbor advertisement, tgt is {new IPAddress(body.Slice(8, 16))}",
            IcmpV6Type.RouterSolicitation => "router solicitation",
            IcmpV6Type.RouterAdvertisement => "router advertisement",
            IcmpV6Type.DestinationUnreachable => "destination unreachable",
            IcmpV6Type.TimeExceeded => "time exceeded in-transit",
            var type => $"type {(int)type}",
        };
    }

    internal static PacketRow Malformed(PacketRow row, string reason) =>
        row with { Protocol = row.Protocol.Length == 0 ? "?" : row.Protocol, Info = $"malformed: {reason}", Malformed = true };

    /// <summary>"52:54:98:76:54:30": how tcpdump and ip write a MAC.</summary>
    internal static string Mac(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 6
            ? string.Create(17, (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]), static (span, b) =>
            {
                ReadOnlySpan<byte> all = [b.Item1, b.Item2, b.Item3, b.Item4, b.Item5, b.Item6];
                for (var i = 0; i < 6; i++)
                {
                    if (i > 0) span[i * 3 - 1] = ':';
                    all[i].TryFormat(span.Slice(i * 3, 2), out _, "x2");
                }
            })
            : Convert.ToHexString(bytes).ToLowerInvariant();
}

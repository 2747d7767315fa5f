using System.Buffers.Binary;
using System.Net;

namespace NetDashboard.Lab.Capture;

// IPv4, IPv6 and its extension headers, and the dispatch to the protocol they carry, as tcpdump's print-ip.c and
// print-ip6.c write them at the default verbosity.
public static partial class PacketSummarizer
{
    private const byte ProtocolTcp = 6, ProtocolUdp = 17, ProtocolIcmp = 1, ProtocolIgmp = 2, ProtocolIcmp6 = 58;

    /// <param name="ip">The captured bytes from the IP header on.</param>
    /// <param name="length">The bytes on the wire from there (tcpdump's length).</param>
    /// <param name="ethertype">0x0800 or 0x86dd, what the link layer says follows; 0 to go by the version alone.</param>
    private static void Ip(Line line, ReadOnlySpan<byte> ip, int length, ushort ethertype = 0)
    {
        if (ip.Length < 1)
        {
            line.Protocol = ethertype == 0x86dd ? "IPv6" : "IPv4";
            line.Trunc(ethertype == 0x86dd ? "ip6" : "ip");
            return;
        }
        var version = ip[0] >> 4;
        switch (ethertype)
        {
            case 0x86dd or 0 when version == 6:
                Ipv6(line, ip, length);
                return;
            case 0x86dd:
                line.Protocol = "IPv6";
                line.Text.Append("IP6 ");
                if (ip.Length < 40)
                    line.Trunc("ip6");
                else
                    line.Complain($"version error: {version} != 6");
                return;
            case 0x0800 or 0 when version == 4:
                Ipv4(line, ip, length);
                return;
            default:
                line.Protocol = "IPv4";
                line.Complain(version == 6 ? "IP6, wrong link-layer encapsulation (invalid)" : $"IP{version} (invalid)");
                return;
        }
    }

    private static void Ipv4(Line line, ReadOnlySpan<byte> ip, int length)
    {
        line.Protocol = "IPv4";
        line.Text.Append("IP ");
        if (ip.Length < 20)
        {
            line.Trunc("ip");
            return;
        }
        if (length < 20)
        {
            line.Complain($"truncated-ip {length}");
            return;
        }
        var headerLength = (ip[0] & 0x0f) * 4;
        if (headerLength < 20)
        {
            line.Complain($"bad-hlen {headerLength}");
            return;
        }
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (length < total)
            line.Complain($"truncated-ip - {total - length} bytes missing! ");
        if (total < headerLength)
        {
            line.Complain($"bad-len {total}");
            return;
        }
        // tcpdump reads no further than the total length: what follows is Ethernet padding.
        ip = ip[..Math.Min(ip.Length, total)];
        var payloadLength = total - headerLength;
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        var protocol = ip[9];
        line.Source = Ipv4String(ip.Slice(12, 4));
        line.Destination = Ipv4String(ip.Slice(16, 4));
        if ((fragment & 0x1fff) != 0)
        {
            line.Protocol = ProtocolName(protocol);
            line.Text.Append(line.Source).Append(" > ").Append(line.Destination).Append(": ip-proto-").Append(protocol);
            return;
        }
        if (protocol is not (ProtocolTcp or ProtocolUdp))
            line.Text.Append(line.Source).Append(" > ").Append(line.Destination).Append(": ");
        if (ip.Length < headerLength)
        {
            line.Text.Append(" [remaining caplen(").Append(ip.Length).Append(") < header length(").Append(headerLength).Append(")]");
            line.Trunc("ip");
            return;
        }
        Transport(line, protocol, ip, ip[headerLength..], payloadLength, (fragment & 0x2000) != 0);
    }

    private static void Ipv6(Line line, ReadOnlySpan<byte> ip, int length)
    {
        line.Protocol = "IPv6";
        if (ip.Length < 40)
        {
            line.Trunc("ip6");
            return;
        }
        if (length < 40)
        {
            line.Complain($"truncated-ip6 {length}");
            return;
        }
        line.Text.Append("IP6 ");
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var total = payloadLength + 40;
        if (payloadLength == 0)
            total = length + 40;
        else if (length < total)
            line.Complain($"truncated-ip6 - {total - length} bytes missing!");
        ip = ip[..Math.Min(ip.Length, total)];
        line.Source = Ipv6String(ip.Slice(8, 16));
        line.Destination = Ipv6String(ip.Slice(24, 16));
        var next = ip[6];
        var at = 40;
        var remaining = total - 40;
        var fragmented = false;
        if (next is not (ProtocolTcp or ProtocolUdp))
            line.Text.Append(line.Source).Append(" > ").Append(line.Destination).Append(": ");
        // Extension headers: tcpdump names them (HBH, DSTOPT, frag) and goes on to what they carry.
        while (next is 0 or 60 or 43 or 44)
        {
            if (ip.Length < at + 2)
            {
                line.Trunc(next == 44 ? "frag6" : next == 0 ? "hbhopt" : "ip6");
                return;
            }
            var headerLength = next == 44 ? 8 : (ip[at + 1] + 1) * 8;
            if (ip.Length < at + headerLength || remaining < headerLength)
            {
                line.Trunc(next switch { 0 => "hbhopt", 60 => "dstopt", 44 => "frag6", _ => "rt6" });
                return;
            }
            var header = ip.Slice(at, headerLength);
            switch (next)
            {
                case 0:
                    line.Text.Append("HBH ");
                    break;
                case 60:
                    line.Text.Append("DSTOPT ");
                    break;
                case 44:
                    var offset = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
                    line.Text.Append("frag (").Append(offset & 0xfff8).Append('|').Append(remaining - 8).Append(')');
                    fragmented = true;
                    if ((offset & 0xfff8) != 0)
                        return;
                    line.Text.Append(' ');
                    break;
                default:
                    line.Text.Append("srcrt (len=").Append(header[1]).Append(", type=").Append(header[2]).Append(", segleft=").Append(header[3]).Append(") ");
                    break;
            }
            next = header[0];
            at += headerLength;
            remaining -= headerLength;
        }
        Transport(line, next, ip, ip[at..], remaining, fragmented);
    }

    /// <summary>tcpdump's ip_demux_print: the protocol after the IP header (and the IPv6 extension headers).</summary>
    /// <param name="fragmented">A first fragment (more follow): UDP's length then says more than the packet holds, rightly.</param>
    private static void Transport(Line line, byte protocol, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> payload, int length, bool fragmented)
    {
        line.Protocol = ProtocolName(protocol);
        switch (protocol)
        {
            case ProtocolTcp:
                Tcp(line, ip, payload, length);
                break;
            case ProtocolUdp:
                Udp(line, ip, payload, length, fragmented);
                break;
            case ProtocolIcmp:
                Icmp(line, payload, length);
                break;
            case ProtocolIcmp6:
                Icmp6(line, payload, length);
                break;
            case ProtocolIgmp:
                Igmp(line, payload, length);
                break;
            default:
                line.Text.Append("ip-proto-").Append(protocol).Append(' ').Append(length);
                break;
        }
    }

    private static string ProtocolName(byte protocol) => protocol switch
    {
        ProtocolTcp => "TCP",
        ProtocolUdp => "UDP",
        ProtocolIcmp => "ICMP",
        ProtocolIcmp6 => "ICMPv6",
        ProtocolIgmp => "IGMP",
        0 => "IPv6",
        _ => $"IP proto {protocol}",
    };

    /// <summary>An IPv6 address as inet_ntop writes it (RFC 5952), as tcpdump prints it.</summary>
    internal static string Ipv6String(ReadOnlySpan<byte> address) => new IPAddress(address).ToString();
}

using System.Buffers.Binary;
using System.Net;

namespace NetDashboard.Lab.Capture;

// IPv4, and the dispatch to the protocol an IP header carries, as tcpdump's print-ip.c and print-ip-demux.c write
// them at the default verbosity (IPv6 is in PacketSummarizer.Ipv6.cs).
public static partial class PacketSummarizer
{
    private const byte ProtocolTcp = 6, ProtocolUdp = 17, ProtocolIcmp = 1, ProtocolIgmp = 2, ProtocolIcmp6 = 58, ProtocolNone = 59;

    /// <param name="ip">The captured bytes from the IP header on.</param>
    /// <param name="length">The bytes on the wire from there (tcpdump's length).</param>
    /// <param name="ethertype">0x0800 or 0x86dd, what the link layer says follows; 0 to go by the version alone.</param>
    private static void Ip(Line line, ReadOnlySpan<byte> ip, int length, ushort ethertype = 0)
    {
        // tcpdump's IPv6 decoder checks the version itself, once it has the whole header.
        if (ethertype == 0x86dd || (ethertype == 0 && ip.Length > 0 && ip[0] >> 4 == 6))
        {
            Ipv6(line, ip, length);
            return;
        }
        line.Protocol = "IPv4";
        if (ip.Length < 1)
        {
            line.Trunc("ip");
            return;
        }
        var version = ip[0] >> 4;
        if (version == 4)
            Ipv4(line, ip, length);
        else
            line.Complain(version == 6 ? "IP6, wrong link-layer encapsulation (invalid)" : $"IP{version} (invalid)");
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

    /// <summary>tcpdump's ip_demux_print: the protocol after the IP header (and the IPv6 extension headers).</summary>
    /// <param name="fragmented">A first fragment (more follow): UDP's length then says more than the packet holds, rightly.</param>
    private static void Transport(Line line, byte protocol, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> payload, int length, bool fragmented)
    {
        line.Protocol = ProtocolName(protocol);
        var v6 = ip[0] >> 4 == 6;
        switch (protocol)
        {
            case ProtocolTcp:
                Tcp(line, ip, payload, length);
                break;
            case ProtocolUdp:
                Udp(line, ip, payload, length, fragmented);
                break;
            case ProtocolIcmp or ProtocolIgmp when v6:
                line.Complain($"[{(protocol == ProtocolIcmp ? "ICMP" : "IGMP")} requires IPv4] (invalid)");
                break;
            case ProtocolIcmp6 when !v6:
                line.Complain("[ICMPv6 requires IPv6] (invalid)");
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
            case ProtocolNone:
                line.Text.Append("no next header");
                break;
            default:
                line.Text.Append(" ip-proto-").Append(protocol).Append(' ').Append(length);
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

using System.Buffers.Binary;

namespace NetDashboard.Lab.Capture;

// ICMP, ICMPv6 (MLD among it) and IGMP, as tcpdump's print-icmp.c, print-icmp6.c and print-igmp.c write them at the
// default verbosity.
public static partial class PacketSummarizer
{
    private static void Icmp(Line line, ReadOnlySpan<byte> icmp, int length)
    {
        if (icmp.Length < 2)
        {
            line.Trunc("icmp");
            return;
        }
        int type = icmp[0], code = icmp[1];
        var text = line.Text;
        var start = text.Length;
        text.Append("ICMP ");
        // An error names the destination of the packet it returns (the inner header at offset 8, its destination at 24).
        var inner = icmp.Length >= 28 ? Ipv4String(icmp.Slice(24, 4)) : null;
        switch (type)
        {
            case 0 or 8:
                if (icmp.Length < 8) goto truncated;
                text.Append(type == 8 ? "echo request" : "echo reply").Append(", id ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]))
                    .Append(", seq ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]));
                break;
            case 3:
                if (inner is null) goto truncated;
                switch (code)
                {
                    case 0: text.Append("net ").Append(inner).Append(" unreachable"); break;
                    case 1: text.Append("host ").Append(inner).Append(" unreachable"); break;
                    case 2: text.Append(inner).Append(" protocol ").Append(icmp[17]).Append(" unreachable"); break;
                    case 3:
                        var innerLength = (icmp[8] & 0x0f) * 4;
                        if (icmp.Length < 8 + innerLength + 4) goto truncated;
                        var port = BinaryPrimitives.ReadUInt16BigEndian(icmp[(8 + innerLength + 2)..]);
                        text.Append(inner).Append(icmp[17] switch
                        {
                            ProtocolTcp => " tcp port ",
                            ProtocolUdp => " udp port ",
                            var p => $" protocol {p} port ",
                        }).Append(port).Append(" unreachable");
                        break;
                    case 4:
                        var mtu = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
                        text.Append(inner).Append(" unreachable - need to frag");
                        if (mtu != 0) text.Append(" (mtu ").Append(mtu).Append(')');
                        break;
                    default:
                        text.Append(code switch
                        {
                            5 => $"{inner} unreachable - source route failed",
                            6 => $"net {inner} unreachable - unknown",
                            7 => $"host {inner} unreachable - unknown",
                            8 => $"{inner} unreachable - source host isolated",
                            9 => $"net {inner} unreachable - admin prohibited",
                            10 => $"host {inner} unreachable - admin prohibited",
                            11 => $"net {inner} unreachable - tos prohibited",
                            12 => $"host {inner} unreachable - tos prohibited",
                            13 => $"host {inner} unreachable - admin prohibited filter",
                            14 => $"host {inner} unreachable - host precedence violation",
                            15 => $"host {inner} unreachable - precedence cutoff",
                            _ => $"{inner} unreachable - #{code}",
                        });
                        break;
                }
                break;
            case 5:
                if (inner is null) goto truncated;
                var gateway = Ipv4String(icmp.Slice(4, 4));
                text.Append(code switch
                {
                    0 => $"redirect {inner} to net {gateway}",
                    1 => $"redirect {inner} to host {gateway}",
                    2 => $"redirect-tos {inner} to net {gateway}",
                    3 => $"redirect-tos {inner} to host {gateway}",
                    _ => $"redirect-#{code} {inner} to {gateway}",
                });
                break;
            case 11:
                if (inner is null) goto truncated;
                text.Append(code switch { 0 => "time exceeded in-transit", 1 => "ip reassembly time exceeded", _ => $"time exceeded-#{code}" });
                break;
            case 12:
                if (code != 0) text.Append("parameter problem - code ").Append(code);
                else if (icmp.Length < 5) goto truncated;
                else text.Append("parameter problem - octet ").Append(icmp[4]);
                break;
            case 13:
                if (icmp.Length < 8) goto truncated;
                text.Append("time stamp query id ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]))
                    .Append(" seq ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]));
                break;
            default:
                text.Append(type switch
                {
                    4 => "source quench",
                    10 => "router solicitation",
                    14 => "time stamp reply",
                    15 => "information request",
                    16 => "information reply",
                    17 => "address mask request",
                    _ => $"type-#{type}",
                });
                break;
        }
        text.Append(", length ").Append(length);
        return;
    truncated:
        text.Length = start;
        line.Trunc("icmp");
    }

    private static void Icmp6(Line line, ReadOnlySpan<byte> icmp, int length)
    {
        var text = line.Text;
        if (length == 0)
        {
            line.Complain("ICMP6, length 0 (invalid)");
            return;
        }
        if (icmp.Length < 1)
        {
            line.Trunc("icmp6");
            return;
        }
        int type = icmp[0];
        text.Append("ICMP6, ").Append(Icmp6Name(type));
        if (icmp.Length < 2)
        {
            line.Trunc("icmp6");
            return;
        }
        int code = icmp[1];
        var inner = icmp.Length >= 48 ? Ipv6String(icmp.Slice(32, 16)) : null;
        switch (type)
        {
            case 1:
                text.Append(", ").Append(code switch
                {
                    0 => "unreachable route",
                    1 => " unreachable prohibited",
                    2 => "beyond scope",
                    3 => "unreachable address",
                    4 => "unreachable port",
                    _ => $"unknown unreach code ({code})",
                });
                if (code is 0 or 1 or 3)
                {
                    if (inner is null) goto truncated;
                    text.Append(' ').Append(inner);
                }
                else if (code == 2)
                {
                    if (inner is null) goto truncated;
                    text.Append(' ').Append(inner).Append(", source address ").Append(Ipv6String(icmp.Slice(16, 16)));
                }
                else if (code == 4)
                {
                    if (icmp.Length < 8 || QuotedTransport(icmp[8..]) is not { } upper) goto truncated;
                    var port = BinaryPrimitives.ReadUInt16BigEndian(icmp[(8 + upper.Offset + 2)..]);
                    text.Append(", ").Append(Ipv6String(icmp.Slice(32, 16))).Append(upper.Protocol == ProtocolTcp ? " tcp port " : " udp port ").Append(port);
                }
                break;
            case 2:
                if (icmp.Length < 8) goto truncated;
                text.Append(", mtu ").Append(BinaryPrimitives.ReadUInt32BigEndian(icmp[4..]));
                break;
            case 3:
                if (code == 0)
                {
                    if (inner is null) goto truncated;
                    text.Append(" for ").Append(inner);
                }
                else
                    text.Append(code == 1 ? " (reassembly)" : $", unknown code ({code})");
                break;
            case 4:
                if (inner is null) goto truncated;
                text.Append(code switch
                {
                    0 => ", erroneous - octet ",
                    1 => ", next header - octet ",
                    2 => ", option - octet ",
                    3 => ", incomplete header chain - octet ",
                    _ => $", code-#{code}",
                });
                if (code <= 3) text.Append(BinaryPrimitives.ReadUInt32BigEndian(icmp[4..]));
                break;
            case 128 or 129:
                if (icmp.Length < 8) goto truncated;
                text.Append(", id ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[4..])).Append(", seq ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]));
                break;
            case 130:
                if (length == 24)
                    Mld(text, icmp);
                else if (length >= 28)
                {
                    if (icmp.Length < 28) goto truncated;
                    text.Append(" v2 [gaddr ").Append(Ipv6String(icmp.Slice(8, 16)));
                    var sources = BinaryPrimitives.ReadUInt16BigEndian(icmp[26..]);
                    if (sources > 0)
                        text.Append(length < 28 + sources * 16 ? " [invalid number of sources]" : $", {sources} source(s)");
                    text.Append(']');
                }
                else
                    text.Append(" unknown-version (len ").Append(length).Append(") ");
                break;
            case 131 or 132:
                Mld(text, icmp);
                break;
            case 135 or 136:
                if (icmp.Length < 24) goto truncated;
                text.Append(type == 135 ? ", who has " : ", tgt is ").Append(Ipv6String(icmp.Slice(8, 16)));
                break;
            case 143:
                if (length < 8)
                    text.Append(" [invalid len ").Append(length).Append(']');
                else
                {
                    if (icmp.Length < 8) goto truncated;
                    text.Append(", ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[6..])).Append(" group record(s)");
                }
                break;
            case 133 or 134 or 141 or 142:
                break;
            default:
                // tcpdump follows this with a hex dump on lines of their own, which a row does not show.
                text.Append(", length ").Append(length);
                return;
        }
        text.Append(", length ").Append(length);
        return;
    truncated:
        line.Trunc("icmp6");
    }

    /// <summary>
    /// tcpdump's get_upperlayer: where the TCP or UDP header of the packet an ICMPv6 error quotes starts, past its
    /// extension headers; null where tcpdump gives up (another protocol, a later fragment, cut).
    /// </summary>
    private static (byte Protocol, int Offset)? QuotedTransport(ReadOnlySpan<byte> quoted)
    {
        const byte AuthenticationHeader = 51;
        if (quoted.Length < 7)
            return null;
        var next = quoted[6];
        int at = 0, headerLength = 40;
        while (at < quoted.Length)
        {
            at += headerLength;
            switch (next)
            {
                case ProtocolTcp or ProtocolUdp:
                    return quoted.Length >= at + 4 ? (next, at) : null;
                case HopByHopHeader or DestinationOptionsHeader or RoutingHeader or AuthenticationHeader:
                    if (quoted.Length < at + 2)
                        return null;
                    headerLength = next == AuthenticationHeader ? (quoted[at + 1] + 2) * 4 : (quoted[at + 1] + 1) * 8;
                    next = quoted[at];
                    break;
                case FragmentHeader:
                    if (quoted.Length < at + 4 || (BinaryPrimitives.ReadUInt16BigEndian(quoted[(at + 2)..]) & 0xfff8) != 0)
                        return null;
                    headerLength = 8;
                    next = quoted[at];
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    private static void Mld(System.Text.StringBuilder text, ReadOnlySpan<byte> icmp)
    {
        if (icmp.Length < 24)
            return;
        text.Append("max resp delay: ").Append(BinaryPrimitives.ReadUInt16BigEndian(icmp[4..])).Append(" addr: ").Append(Ipv6String(icmp.Slice(8, 16)));
    }

    private static string Icmp6Name(int type) => type switch
    {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        _ => $"unknown icmp6 type ({type})",
    };

    private static void Igmp(Line line, ReadOnlySpan<byte> igmp, int length)
    {
        var text = line.Text;
        if (igmp.Length < 1)
        {
            line.Trunc("igmp");
            return;
        }
        switch (igmp[0])
        {
            case 0x11:
                text.Append("igmp query");
                if (length >= 12)
                {
                    if (igmp.Length < 12) goto truncated;
                    text.Append(" v3");
                    var group = BinaryPrimitives.ReadUInt32BigEndian(igmp[4..]);
                    if (group != 0) text.Append(" [gaddr ").Append(Ipv4String(igmp.Slice(4, 4))).Append(']');
                    var sources = BinaryPrimitives.ReadUInt16BigEndian(igmp[10..]);
                    if (sources > 0) text.Append(" [").Append(sources).Append(" source(s)]");
                }
                else
                {
                    if (igmp.Length < 8) goto truncated;
                    if (igmp[1] != 0)
                    {
                        text.Append(" v2");
                        if (igmp[1] != 100) text.Append(" [max resp time ").Append(igmp[1]).Append(']');
                    }
                    else
                        text.Append(" v1");
                    if (BinaryPrimitives.ReadUInt32BigEndian(igmp[4..]) != 0) text.Append(" [gaddr ").Append(Ipv4String(igmp.Slice(4, 4))).Append(']');
                    if (length != 8) text.Append(" [len ").Append(length).Append(']');
                }
                break;
            case 0x12 or 0x16 or 0x17:
                text.Append(igmp[0] switch { 0x12 => "igmp v1 report ", 0x16 => "igmp v2 report ", _ => "igmp leave " });
                if (igmp.Length < 8) goto truncated;
                text.Append(Ipv4String(igmp.Slice(4, 4)));
                if (igmp[0] == 0x12 && length != 8) text.Append(" [len ").Append(length).Append(']');
                break;
            case 0x22:
                text.Append("igmp v3 report");
                if (length < 8)
                    text.Append(" [invalid len ").Append(length).Append(']');
                else
                {
                    if (igmp.Length < 8) goto truncated;
                    text.Append(", ").Append(BinaryPrimitives.ReadUInt16BigEndian(igmp[6..])).Append(" group record(s)");
                }
                break;
            default:
                text.Append("igmp-").Append(igmp[0]);
                break;
        }
        return;
    truncated:
        line.Trunc("igmp");
    }
}

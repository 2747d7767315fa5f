using System.Buffers.Binary;

namespace NetDashboard.Lab.Capture;

// IPv6 and its extension headers as tcpdump 4.99's print-ip6.c, print-ip6opts.c, print-rt6.c and print-frag6.c write
// them at the default verbosity: the payload length bounds every header, and one that does not fit ends the line.
public static partial class PacketSummarizer
{
    private const byte HopByHopHeader = 0, RoutingHeader = 43, FragmentHeader = 44, DestinationOptionsHeader = 60;

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
        if (ip[0] >> 4 != 6)
        {
            line.Complain($"version error: {ip[0] >> 4} != 6");
            return;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        // A payload length of 0 is a jumbogram's: tcpdump walks the extension headers over all there is, looking for
        // the hop-by-hop option that gives the length.
        var total = payloadLength == 0 ? length + 40 : payloadLength + 40;
        if (payloadLength != 0 && length < total)
            line.Complain($"truncated-ip6 - {total - length} bytes missing!");
        ip = ip[..Math.Min(ip.Length, total)];
        line.Source = Ipv6String(ip.Slice(8, 16));
        line.Destination = Ipv6String(ip.Slice(24, 16));
        var next = ip[6];
        if (next is not (ProtocolTcp or ProtocolUdp))
            line.Text.Append(line.Source).Append(" > ").Append(line.Destination).Append(": ");
        var at = 40;
        var remaining = total - 40;
        bool fragmented = false, extensions = false, hopByHop = false;
        long? jumboLength = null;
        while (next is HopByHopHeader or RoutingHeader or FragmentHeader or DestinationOptionsHeader)
        {
            int headerLength;
            switch (next)
            {
                case HopByHopHeader:
                    // It must follow the IPv6 header, and come once.
                    if (at != 40)
                    {
                        line.Complain(hopByHop
                            ? "[The Hop-by-Hop Options header was already found] (invalid)"
                            : "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)");
                        return;
                    }
                    if (ip.Length < at + 2)
                    {
                        line.Trunc("hbhopt");
                        return;
                    }
                    headerLength = HopByHop(line, ip[at..], payloadLength == 0, out jumboLength);
                    if (payloadLength == 0 && jumboLength is null)
                    {
                        line.Complain("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
                        return;
                    }
                    hopByHop = true;
                    break;
                case DestinationOptionsHeader:
                    // Its options are read only with -v.
                    if (ip.Length < at + 2 || ip.Length < at + (ip[at + 1] + 1) * 8)
                    {
                        line.Trunc("dstopt");
                        return;
                    }
                    headerLength = (ip[at + 1] + 1) * 8;
                    line.Text.Append("DSTOPT ");
                    break;
                case FragmentHeader:
                    if (ip.Length < at + 4)
                    {
                        line.Trunc("frag6");
                        return;
                    }
                    var offset = BinaryPrimitives.ReadUInt16BigEndian(ip[(at + 2)..]) & 0xfff8;
                    // What follows the header by the payload length. tcpdump prints a negative one as a huge unsigned
                    // number; the row says the header does not fit.
                    var fragmentLength = payloadLength + 40 - at - 8;
                    if (fragmentLength < 0)
                    {
                        line.Trunc("frag6");
                        return;
                    }
                    line.Text.Append("frag (").Append(offset).Append('|').Append(fragmentLength).Append(')');
                    fragmented = true;
                    // A later fragment has no header to decode, and tcpdump says no more when nothing follows the header.
                    if (offset != 0)
                        return;
                    line.Text.Append(' ');
                    if (ip.Length <= at + 8)
                        return;
                    headerLength = 8;
                    break;
                default:
                    headerLength = Routing(line, ip[at..]);
                    break;
            }
            if (headerLength < 0)
                return;
            extensions = true;
            next = ip[at];
            if (remaining < headerLength)
            {
                line.Trunc("ip6");
                return;
            }
            at += headerLength;
            remaining -= headerLength;
        }
        if (jumboLength is { } jumbo)
        {
            var jumboTotal = jumbo + 40;
            if (jumboTotal < at)
            {
                line.Trunc("ip6");
                return;
            }
            if (length < jumboTotal)
                line.Complain($"truncated-ip6 - {jumboTotal - length} bytes missing!");
            remaining = (int)Math.Min(jumboTotal - at, int.MaxValue);
        }
        else if (payloadLength == 0)
        {
            // No jumbogram, so no payload: an extension header had nothing to be in.
            if (extensions)
            {
                line.Trunc("ip6");
                return;
            }
            remaining = 0;
            ip = ip[..40];
        }
        // A routing header's length is not checked against the bytes: what it claims past them is cut.
        Transport(line, next, ip, at <= ip.Length ? ip[at..] : [], remaining, fragmented);
    }

    /// <summary>
    /// tcpdump's hbhopt_process: "HBH ", its options walked for their lengths (printed only with -v), and a
    /// jumbogram's length when the IPv6 header has none. Returns the header's length, or -1 where tcpdump stops.
    /// </summary>
    private static int HopByHop(Line line, ReadOnlySpan<byte> header, bool jumbogram, out long? jumboLength)
    {
        jumboLength = null;
        var headerLength = (header[1] + 1) * 8;
        if (header.Length < headerLength)
        {
            line.Trunc("hbhopt");
            return -1;
        }
        line.Text.Append("HBH ");
        var options = header[2..headerLength];
        var jumboSeen = false;
        for (var i = 0; i < options.Length;)
        {
            const byte Pad1 = 0x00, RouterAlert = 0x05, Jumbo = 0xc2, HomeAddress = 0xc9;
            if (options[i] == Pad1)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || i + options[i + 1] + 2 > options.Length)
                return OptionsCut(line, null);
            var left = options.Length - i;
            int size = options[i + 1];
            switch (options[i])
            {
                case RouterAlert when left < 4:
                    return OptionsCut(line, "(rtalert: trunc)");
                case RouterAlert when size != 2:
                    return OptionsCut(line, $"(rtalert: invalid len {size})");
                case Jumbo when left < 6:
                    return OptionsCut(line, "(jumbo: trunc)");
                case Jumbo when size != 4:
                    return OptionsCut(line, $"(jumbo: invalid len {size})");
                case Jumbo:
                    // Only the first counts, and only as the length of a jumbogram (more than 65535 bytes).
                    var value = BinaryPrimitives.ReadUInt32BigEndian(options[(i + 2)..]);
                    if (!jumboSeen && jumbogram && value >= 65536)
                        jumboLength = value;
                    jumboSeen = true;
                    break;
                case HomeAddress when left < 18:
                    return OptionsCut(line, "(homeaddr: trunc)");
                case HomeAddress when size < 16:
                    return OptionsCut(line, $"(homeaddr: invalid len {size})");
            }
            i += size + 2;
        }
        return headerLength;
    }

    private static int OptionsCut(Line line, string? words)
    {
        line.Text.Append(words);
        line.Trunc("hbhopt");
        return -1;
    }

    /// <summary>
    /// tcpdump's rt6_print: "RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::5) ", each field as far as the
    /// bytes go. Returns the header's length (which may claim more than was captured), or -1 where tcpdump stops:
    /// cut, an odd length, an unknown type.
    /// </summary>
    private static int Routing(Line line, ReadOnlySpan<byte> header)
    {
        var text = line.Text;
        if (header.Length < 1)
        {
            line.Trunc("ip6");
            return -1;
        }
        text.Append("RT6");
        if (header.Length < 2)
            return Cut();
        int length = header[1];
        text.Append(" (len=").Append(length);
        if (header.Length < 3)
            return Cut();
        int type = header[2];
        text.Append(", type=").Append(type).Append(type == 0 ? " [Deprecated]" : "");
        if (header.Length < 4)
            return Cut();
        text.Append(", segleft=").Append(header[3]);
        switch (type)
        {
            case 0 or 2:
                if (header.Length < 8)
                    return Cut();
                var reserved = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
                if (reserved != 0)
                    text.Append(", rsv=0x").Append(reserved.ToString("x"));
                break;
            case 4:
                if (header.Length < 5)
                    return Cut();
                text.Append(", last-entry=").Append(header[4]);
                if (header.Length < 6)
                    return Cut();
                if (header[5] != 0)
                    text.Append(", flags=0x").Append(header[5].ToString("x"));
                if (header.Length < 8)
                    return Cut();
                text.Append(", tag=").Append(BinaryPrimitives.ReadUInt16BigEndian(header[6..]).ToString("x"));
                break;
            default:
                line.Complain(" (unknown type) (invalid)");
                return -1;
        }
        if (length % 2 == 1)
        {
            line.Complain($" (invalid length {length}) (invalid)");
            return -1;
        }
        for (var i = 0; i < length / 2; i++)
        {
            var address = 8 + 16 * i;
            if (header.Length < address + 16)
                return Cut();
            text.Append(", [").Append(i).Append(']').Append(Ipv6String(header.Slice(address, 16)));
        }
        text.Append(") ");
        return (length + 1) * 8;

        int Cut()
        {
            line.Trunc("rt6");
            return -1;
        }
    }
}

using NetDashboard.Lab.Model;
using System.Buffers.Binary;
using System.Text;
using PacketDotNet;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// Turns captured bytes into a <see cref="PacketRow"/> whose info is the line tcpdump 4.99 -n prints after the
/// timestamp (a differential test holds it to that). It reads the bytes itself, like tcpdump: every read is checked
/// against the captured length, and where tcpdump would stop with "[|proto]" so does the row. A packet tcpdump
/// complains about (truncated, bad lengths) is a malformed row with tcpdump's words, unless only the snap length cut
/// it. Whatever the bytes, it returns a row, never an exception, so one bad frame cannot stop a capture.
/// </summary>
public static partial class PacketSummarizer
{
    private const int EthernetHeaderLength = 14;

    public static PacketRow Summarize(long sequence, long timestampMicros, int wireLength, byte[] frame, LinkLayers linkType = LinkLayers.Ethernet) =>
        Summarize(sequence, timestampMicros, wireLength, frame, 0, frame.Length, linkType);

    /// <param name="wireLength">The length on the wire; more than <paramref name="length"/> when the snap length cut the packet.</param>
    /// <param name="linked">The correlator's word on the packet, carried by the row from the start (no copy per packet).</param>
    /// <param name="tcp">The capture's TCP conversations, for relative sequence numbers; null prints absolute ones.</param>
    public static PacketRow Summarize(long sequence, long timestampMicros, int wireLength, byte[] buffer, int offset, int length, LinkLayers linkType,
        PacketCorrelation linked = default, TcpSequences? tcp = null)
    {
        var line = Line.Start(tcp);
        var data = buffer.AsSpan(offset, length);
        var wire = Math.Max(wireLength, length);
        try
        {
            if (linkType == LinkLayers.Ethernet)
                Ethernet(line, data, wire);
            else if (IpOffset(buffer, offset, length, linkType) is { } at)
                Ip(line, data[at..], wire - at);
            else
                line.Invalid($"no IP packet in a {linkType} frame");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            line.Text.Clear();
            line.Invalid(e.Message);
        }
        return new PacketRow(sequence, timestampMicros, wireLength, length, line.SourceMac, line.DestinationMac,
            line.Source, line.Destination, line.Protocol.Length == 0 ? "?" : line.Protocol, line.Text.ToString(),
            line.Complained || (line.Truncated && wire == length), linked.GroupId, linked.FlowId);
    }

    /// <summary>Where the IP header starts in a frame of another link type (cooked, raw, loopback): PacketDotNet knows their headers.</summary>
    private static int? IpOffset(byte[] buffer, int offset, int length, LinkLayers linkType)
    {
        var packet = Packet.ParsePacket(linkType, buffer.AsSpan(offset, length).ToArray());
        return packet.Extract<IPPacket>() is { } ip ? ip.HeaderSegment.Offset : null;
    }

    private static void Ethernet(Line line, ReadOnlySpan<byte> frame, int wire)
    {
        if (frame.Length < EthernetHeaderLength)
        {
            line.Trunc("ether");
            return;
        }
        line.DestinationMac = Mac(frame[..6]);
        line.SourceMac = Mac(frame.Slice(6, 6));
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var at = EthernetHeaderLength;
        // tcpdump -n (no -e) prints nothing of the tags, only what they carry.
        while (type is 0x8100 or 0x88a8 or 0x9100 or 0x9200)
        {
            if (frame.Length - at < 4 || wire - at < 4)
            {
                line.Protocol = "VLAN";
                line.Trunc("vlan");
                return;
            }
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]);
            at += 4;
        }
        var payload = frame[at..];
        var length = wire - at;
        switch (type)
        {
            case 0x0800 or 0x86dd:
                Ip(line, payload, length, type);
                break;
            case 0x0806:
                Arp(line, payload, length);
                break;
            default:
                line.Protocol = type <= 1500 ? "802.3" : $"0x{type:x4}";
                line.Source = line.SourceMac;
                line.Destination = line.DestinationMac;
                // tcpdump reads an LLC header (3 bytes, 4 for I and S frames) within what the 802.3 length says.
                var llc = payload[..Math.Min(payload.Length, type)];
                if (type <= 1500 && (llc.Length < 3 || ((llc[2] & 3) != 3 && llc.Length < 4)))
                {
                    line.Trunc("llc");
                    break;
                }
                line.Text.Append(line.SourceMac).Append(" > ").Append(line.DestinationMac);
                if (type <= 1500)
                    line.Text.Append(", 802.3, length ").Append(type);
                else
                    line.Text.Append(", ethertype Unknown (0x").Append(type.ToString("x4")).Append("), length ").Append(wire).Append(": ");
                break;
        }
    }

    private static void Arp(Line line, ReadOnlySpan<byte> arp, int length)
    {
        line.Protocol = "ARP";
        if (arp.Length < 8)
        {
            line.Trunc("arp");
            return;
        }
        var protocol = BinaryPrimitives.ReadUInt16BigEndian(arp[2..]);
        int hardwareLength = arp[4], protocolLength = arp[5];
        var operation = BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
        var senderMac = arp.Slice(8, Math.Min(hardwareLength, arp.Length - 8));
        if (arp.Length < 8 + 2 * hardwareLength + 2 * protocolLength)
        {
            line.Trunc("arp");
            return;
        }
        var sender = arp.Slice(8 + hardwareLength, protocolLength);
        var targetMac = arp.Slice(8 + hardwareLength + protocolLength, hardwareLength);
        var target = arp.Slice(8 + 2 * hardwareLength + protocolLength, protocolLength);
        line.Text.Append("ARP, ");
        if ((protocol != 0x0800 && protocol != 0x1000) || protocolLength != 4 || hardwareLength == 0)
        {
            line.Text.Append("Unknown Protocol (0x").Append(protocol.ToString("x4")).Append(") (len ").Append(protocolLength).Append("), length ").Append(length);
            return;
        }
        line.Source = Ipv4String(sender);
        line.Destination = Ipv4String(target);
        switch (operation)
        {
            case 1:
                line.Text.Append("Request who-has ").Append(line.Destination);
                if (targetMac.ContainsAnyExcept((byte)0))
                    line.Text.Append(" (").Append(Mac(targetMac)).Append(')');
                line.Text.Append(" tell ").Append(line.Source);
                break;
            case 2:
                line.Text.Append("Reply ").Append(line.Source).Append(" is-at ").Append(Mac(senderMac));
                break;
            default:
                line.Text.Append("Unknown (").Append(operation).Append(')');
                break;
        }
        line.Text.Append(", length ").Append(length);
    }

    /// <summary>tcpdump's letters, in its order: F S R P . U E W.</summary>
    internal static string TcpFlags(TcpPacket tcp) => TcpFlags((byte)tcp.Flags);

    private static string TcpFlags(byte flags)
    {
        Span<char> letters = stackalloc char[8];
        var n = 0;
        const string Order = "FSRP.UEW";
        for (var bit = 0; bit < 8; bit++)
            if ((flags & (1 << bit)) != 0)
                letters[n++] = Order[bit];
        return n == 0 ? "none" : new string(letters[..n]);
    }

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

    internal static string Ipv4String(ReadOnlySpan<byte> address) => $"{address[0]}.{address[1]}.{address[2]}.{address[3]}";

    /// <summary>
    /// The line being written for one packet and what the row needs besides it. One per decoding thread, reused:
    /// the text builder keeps its capacity from packet to packet.
    /// </summary>
    private sealed class Line
    {
        [ThreadStatic] private static Line? t_current;

        public readonly StringBuilder Text = new(256);
        public TcpSequences? Tcp;
        public string SourceMac = "", DestinationMac = "", Source = "", Destination = "", Protocol = "";
        /// <summary>The bytes ended before what tcpdump read (its "[|proto]").</summary>
        public bool Truncated;
        /// <summary>tcpdump said the packet is wrong: bad lengths, "(invalid)".</summary>
        public bool Complained;

        public static Line Start(TcpSequences? tcp)
        {
            var line = t_current ??= new Line();
            line.Text.Clear();
            line.Tcp = tcp;
            line.SourceMac = line.DestinationMac = line.Source = line.Destination = line.Protocol = "";
            line.Truncated = line.Complained = false;
            return line;
        }

        public void Trunc(string protocol)
        {
            Text.Append(" [|").Append(protocol).Append(']');
            Truncated = true;
        }

        /// <summary>tcpdump's words for a packet it finds wrong, appended as it prints them.</summary>
        public void Complain(string words)
        {
            Text.Append(words);
            Complained = true;
        }

        /// <summary>What tcpdump cannot say in its own words (another link type without IP, a decoder failure).</summary>
        public void Invalid(string reason)
        {
            Text.Append("malformed: ").Append(reason);
            Complained = true;
        }
    }
}

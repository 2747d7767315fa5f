using NetDashboard.Lab.Model;
using System.Text;
using PacketDotNet;
using PacketDotNet.Utils;

namespace NetDashboard.Lab.Capture;

/// <summary>The full decode of one packet, made only when a person opens its row.</summary>
public static class PacketDetails
{
    public static PacketDetail Decode(long sequence, byte[] data, LinkLayers linkType = LinkLayers.Ethernet)
    {
        var layers = new List<PacketLayer>();
        try
        {
            // PacketDotNet writes into the bytes it parses (an IPv4 total length of 0 becomes the one it computes):
            // it gets a copy, so the hex dump and the caller keep the bytes captured.
            var bytes = data.ToArray();
            var packet = linkType == LinkLayers.Ethernet && bytes.Length >= 14
                ? new EthernetPacket(new ByteArraySegment(bytes))
                : Packet.ParsePacket(linkType, bytes);
            for (Packet? layer = packet; layer is not null; layer = layer.HasPayloadPacket ? layer.PayloadPacket : null)
            {
                layers.Add(Layer(layer));
                if (!layer.HasPayloadPacket && layer.PayloadDataSegment is { Length: > 0 } payload)
                    layers.Add(new PacketLayer("Data", [new("Length", $"{payload.Length} bytes")]));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            layers.Add(new PacketLayer("Malformed", [new("Reason", e.Message)]));
        }
        return new PacketDetail(sequence, layers, HexDump(data));
    }

    private static PacketLayer Layer(Packet packet) => packet switch
    {
        EthernetPacket e => new("Ethernet",
        [
            new("Destination", PacketSummarizer.Mac(e.DestinationHardwareAddress.GetAddressBytes())),
            new("Source", PacketSummarizer.Mac(e.SourceHardwareAddress.GetAddressBytes())),
            new("Type", $"{e.Type} (0x{(ushort)e.Type:x4})"),
        ]),
        ArpPacket a => new("ARP",
        [
            new("Operation", a.Operation.ToString()),
            new("Sender MAC", PacketSummarizer.Mac(a.SenderHardwareAddress.GetAddressBytes())),
            new("Sender IP", a.SenderProtocolAddress.ToString()),
            new("Target MAC", PacketSummarizer.Mac(a.TargetHardwareAddress.GetAddressBytes())),
            new("Target IP", a.TargetProtocolAddress.ToString()),
        ]),
        IPv4Packet ip => new("IPv4",
        [
            new("Header length", $"{ip.HeaderLength * 4} bytes"),
            new("Type of service", $"0x{ip.TypeOfService:x2}"),
            new("Total length", ip.TotalLength.ToString()),
            new("Identification", $"0x{ip.Id:x4} ({ip.Id})"),
            new("Flags", $"0x{ip.FragmentFlags:x}"),
            new("Fragment offset", (ip.FragmentOffset * 8).ToString()),
            new("Time to live", ip.TimeToLive.ToString()),
            new("Protocol", ip.Protocol.ToString()),
            new("Header checksum", $"0x{ip.Checksum:x4}"),
            new("Source", ip.SourceAddress.ToString()),
            new("Destination", ip.DestinationAddress.ToString()),
        ]),
        IPv6Packet ip => new("IPv6",
        [
            new("Traffic class", $"0x{ip.TrafficClass:x2}"),
            new("Flow label", $"0x{ip.FlowLabel:x5}"),
            new("Payload length", ip.PayloadLength.ToString()),
            new("Next header", ip.NextHeader.ToString()),
            new("Hop limit", ip.HopLimit.ToString()),
            new("Source", ip.SourceAddress.ToString()),
            new("Destination", ip.DestinationAddress.ToString()),
        ]),
        TcpPacket t => new("TCP",
        [
            new("Source port", t.SourcePort.ToString()),
            new("Destination port", t.DestinationPort.ToString()),
            new("Sequence number", t.SequenceNumber.ToString()),
            new("Acknowledgment number", t.AcknowledgmentNumber.ToString()),
            new("Header length", $"{t.DataOffset * 4} bytes"),
            new("Flags", $"[{PacketSummarizer.TcpFlags(t)}] (0x{t.Flags & 0x1ff:x3})"),
            new("Window", t.WindowSize.ToString()),
            new("Checksum", $"0x{t.Checksum:x4}"),
            // PacketDotNet reads the urgent pointer and UDP's length as signed 16-bit numbers.
            new("Urgent pointer", ((ushort)t.UrgentPointer).ToString()),
        ]),
        UdpPacket u => new("UDP",
        [
            new("Source port", u.SourcePort.ToString()),
            new("Destination port", u.DestinationPort.ToString()),
            new("Length", ((ushort)u.Length).ToString()),
            new("Checksum", $"0x{u.Checksum:x4}"),
        ]),
        IcmpV4Packet i => new("ICMP",
        [
            new("Type", ((int)i.TypeCode >> 8).ToString()),
            new("Code", ((int)i.TypeCode & 0xff).ToString()),
            new("Kind", i.TypeCode.ToString()),
            new("Checksum", $"0x{i.Checksum:x4}"),
            new("Identifier", i.Id.ToString()),
            new("Sequence", i.Sequence.ToString()),
        ]),
        IcmpV6Packet i => new("ICMPv6",
        [
            new("Type", $"{(int)i.Type} ({i.Type})"),
            new("Code", i.Code.ToString()),
            new("Checksum", $"0x{i.Checksum:x4}"),
        ]),
        _ => new(packet.GetType().Name.Replace("Packet", "", StringComparison.Ordinal), []),
    };

    /// <summary>16 bytes a line, as tcpdump -X and Wireshark show them.</summary>
    public static IReadOnlyList<HexLine> HexDump(ReadOnlySpan<byte> data)
    {
        var lines = new List<HexLine>((data.Length + 15) / 16);
        for (var offset = 0; offset < data.Length; offset += 16)
        {
            var chunk = data.Slice(offset, Math.Min(16, data.Length - offset));
            var hex = new StringBuilder(48);
            var ascii = new StringBuilder(16);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (i > 0) hex.Append(i == 8 ? "  " : " ");
                hex.Append(chunk[i].ToString("x2"));
                ascii.Append(chunk[i] is >= 0x20 and < 0x7f ? (char)chunk[i] : '.');
            }
            lines.Add(new HexLine(offset, hex.ToString(), ascii.ToString()));
        }
        return lines;
    }
}

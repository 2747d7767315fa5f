using System.Buffers.Binary;

namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// Reads <see cref="PacketHeaders"/> from a captured frame (Ethernet II, up to two 802.1Q tags, IPv4; ICMP, TCP, UDP)
/// in place: no allocation, no exception, whatever the bytes. It runs on the capture path for every packet.
/// </summary>
public static class PacketHeaderReader
{
    /// <summary>
    /// Payload bytes hashed: few enough that every hop captured them all (a 256-byte snap minus the longest headers
    /// leaves more), so a VLAN tag or IP options on one hop do not change the hash.
    /// </summary>
    public const int PayloadHashBytes = 64;

    private const int EthernetHeaderLength = 14;
    private const ushort Ipv4EtherType = 0x0800;

    /// <summary>False only for a frame shorter than an Ethernet header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out PacketHeaders headers)
    {
        headers = default;
        if (frame.Length < EthernetHeaderLength)
            return false;

        var offset = 12;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        for (var tags = 0; tags < 2 && (etherType is 0x8100 or 0x88a8) && frame.Length >= offset + 6; tags++)
        {
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }
        offset += 2;
        headers = new PacketHeaders
        {
            Depth = HeaderDepth.Ethernet,
            DestinationMac = Mac(frame),
            SourceMac = Mac(frame[6..]),
            EtherType = etherType,
            FrameHash = Hash64.Of(frame),
        };
        if (etherType == Ipv4EtherType)
            ReadIpv4(frame[offset..], ref headers);
        return true;
    }

    private static void ReadIpv4(ReadOnlySpan<byte> ip, ref PacketHeaders headers)
    {
        if (ip.Length < 20 || ip[0] >> 4 != 4)
            return;
        var headerLength = (ip[0] & 0x0f) * 4;
        if (headerLength < 20 || ip.Length < headerLength)
            return;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        var fragmentOffset = (ushort)(fragment & 0x1fff);
        // Ethernet padding after the packet differs from hop to hop; a zero length (a TSO send) means "all of it".
        var packet = totalLength >= headerLength && totalLength < ip.Length ? ip[..totalLength] : ip;
        var sentPayload = (totalLength >= headerLength ? totalLength : packet.Length) - headerLength;
        var payload = packet[headerLength..];
        headers = headers with
        {
            Depth = HeaderDepth.Ipv4,
            IpId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]),
            FragmentOffset = fragmentOffset,
            MoreFragments = (fragment & 0x2000) != 0,
            Ttl = ip[8],
            Protocol = ip[9],
            Source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]),
            Destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]),
            PayloadLength = sentPayload,
            PayloadHash = PayloadHash(payload),
        };
        if (fragmentOffset == 0)
            ReadTransport(payload, sentPayload, ref headers);
    }

    private static void ReadTransport(ReadOnlySpan<byte> segment, int sentLength, ref PacketHeaders headers)
    {
        switch (headers.Protocol)
        {
            case PacketHeaders.Icmp when segment.Length >= 8:
                var echo = segment[0] is 0 or 8;
                headers = headers with
                {
                    Depth = HeaderDepth.Transport,
                    IcmpType = segment[0],
                    IcmpCode = segment[1],
                    IcmpId = echo ? BinaryPrimitives.ReadUInt16BigEndian(segment[4..]) : (ushort)0,
                    IcmpSequence = echo ? BinaryPrimitives.ReadUInt16BigEndian(segment[6..]) : (ushort)0,
                    PayloadLength = Math.Max(0, sentLength - 8),
                    PayloadHash = PayloadHash(segment[8..]),
                };
                if (segment[0] is 3 or 4 or 5 or 11 or 12)
                    ReadQuote(segment[8..], ref headers);
                break;
            case PacketHeaders.Udp when segment.Length >= 8:
                headers = headers with
                {
                    Depth = HeaderDepth.Transport,
                    SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment),
                    DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]),
                    PayloadLength = Math.Max(0, sentLength - 8),
                    PayloadHash = PayloadHash(segment[8..]),
                };
                break;
            case PacketHeaders.Tcp when segment.Length >= 20:
                var dataOffset = (segment[12] >> 4) * 4;
                if (dataOffset < 20)
                    return;
                headers = headers with
                {
                    Depth = HeaderDepth.Transport,
                    SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment),
                    DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]),
                    TcpSequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]),
                    TcpAcknowledgment = BinaryPrimitives.ReadUInt32BigEndian(segment[8..]),
                    TcpFlags = segment[13],
                    PayloadLength = Math.Max(0, sentLength - dataOffset),
                    PayloadHash = PayloadHash(segment.Length > dataOffset ? segment[dataOffset..] : []),
                };
                break;
        }
    }

    /// <summary>The packet an ICMP error quotes: its IP header and at least the first 8 bytes after it (RFC 792).</summary>
    private static void ReadQuote(ReadOnlySpan<byte> quote, ref PacketHeaders headers)
    {
        if (quote.Length < 20 || quote[0] >> 4 != 4)
            return;
        var headerLength = (quote[0] & 0x0f) * 4;
        if (headerLength < 20 || quote.Length < headerLength + 8 || (BinaryPrimitives.ReadUInt16BigEndian(quote[6..]) & 0x1fff) != 0)
            return; // a quoted later fragment has no ports
        var protocol = quote[9];
        var transport = quote[headerLength..];
        ushort sourcePort, destinationPort;
        if (protocol is PacketHeaders.Tcp or PacketHeaders.Udp)
            (sourcePort, destinationPort) = (BinaryPrimitives.ReadUInt16BigEndian(transport), BinaryPrimitives.ReadUInt16BigEndian(transport[2..]));
        else if (protocol == PacketHeaders.Icmp && transport[0] is 0 or 8)
            sourcePort = destinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[4..]);
        else
            return;
        headers = headers with
        {
            QuotedProtocol = protocol,
            QuotedIpId = BinaryPrimitives.ReadUInt16BigEndian(quote[4..]),
            QuotedSource = BinaryPrimitives.ReadUInt32BigEndian(quote[12..]),
            QuotedDestination = BinaryPrimitives.ReadUInt32BigEndian(quote[16..]),
            QuotedSourcePort = sourcePort,
            QuotedDestinationPort = destinationPort,
        };
    }

    private static ulong PayloadHash(ReadOnlySpan<byte> payload) =>
        Hash64.Of(payload.Length > PayloadHashBytes ? payload[..PayloadHashBytes] : payload);

    private static ulong Mac(ReadOnlySpan<byte> bytes) =>
        (ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32 | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);
}

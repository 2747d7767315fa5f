namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// Both ends of a conversation as one interface sees them, in a fixed order so that a packet and its reply give
/// the same tuple. ICMP echo uses its id on both ends, as conntrack does.
/// </summary>
internal readonly record struct FlowTuple(byte Protocol, uint LowAddress, ushort LowPort, uint HighAddress, ushort HighPort)
{
    public static FlowTuple Between(byte protocol, uint address, ushort port, uint otherAddress, ushort otherPort) =>
        address < otherAddress || (address == otherAddress && port <= otherPort)
            ? new(protocol, address, port, otherAddress, otherPort)
            : new(protocol, otherAddress, otherPort, address, port);

    /// <summary>The packet's tuple; false when it belongs to no conversation conntrack would track by tuple.</summary>
    public static bool TryOf(in PacketHeaders headers, out FlowTuple tuple)
    {
        tuple = default;
        if (headers.Depth == HeaderDepth.Transport)
        {
            if (headers.IsIcmpEcho)
                tuple = Between(PacketHeaders.Icmp, headers.Source, headers.IcmpId, headers.Destination, headers.IcmpId);
            else if (headers.HasQuote)
                // An ICMP error belongs to the flow it quotes, as conntrack relates it; NAT rewrote the quote alike.
                tuple = Between(headers.QuotedProtocol, headers.QuotedSource, headers.QuotedSourcePort, headers.QuotedDestination, headers.QuotedDestinationPort);
            else if (headers.Protocol is PacketHeaders.Tcp or PacketHeaders.Udp)
                tuple = Between(headers.Protocol, headers.Source, headers.SourcePort, headers.Destination, headers.DestinationPort);
            else
                return false; // an ICMP error quoting something else, or another ICMP message
            return true;
        }
        // Other protocols have no ports; TCP or UDP without its header (a cut or a later fragment: see
        // PacketCorrelator's fragments) has no tuple.
        if (headers.Depth != HeaderDepth.Ipv4 || headers.Protocol is PacketHeaders.Icmp or PacketHeaders.Tcp or PacketHeaders.Udp)
            return false;
        tuple = Between(headers.Protocol, headers.Source, 0, headers.Destination, 0);
        return true;
    }
}

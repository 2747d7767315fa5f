namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>How far into a frame <see cref="PacketHeaderReader"/> got.</summary>
public enum HeaderDepth : byte
{
    /// <summary>Shorter than an Ethernet header.</summary>
    None,
    /// <summary>MACs and ethertype only (ARP, IPv6, or an IPv4 header cut or broken).</summary>
    Ethernet,
    /// <summary>The IPv4 header, but no ICMP/TCP/UDP header (another protocol, a later fragment, or cut).</summary>
    Ipv4,
    /// <summary>The IPv4 header and the ICMP, TCP or UDP header.</summary>
    Transport,
}

/// <summary>
/// The header fields correlation compares, read from a frame's captured bytes. Addresses are in host order
/// (192.168.1.10 is 0xC0A8010A), MACs in the low 48 bits; fields below <see cref="Depth"/> are zero.
/// </summary>
public readonly struct PacketHeaders
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte TcpFin = 0x01;
    public const byte TcpSyn = 0x02;
    public const byte TcpAck = 0x10;

    public HeaderDepth Depth { get; init; }
    public ulong DestinationMac { get; init; }
    public ulong SourceMac { get; init; }
    /// <summary>The ethertype after any 802.1Q tags.</summary>
    public ushort EtherType { get; init; }
    public uint Source { get; init; }
    public uint Destination { get; init; }
    public byte Ttl { get; init; }
    public ushort IpId { get; init; }
    /// <summary>In 8-byte units; not zero for every fragment but the first.</summary>
    public ushort FragmentOffset { get; init; }
    /// <summary>More fragments follow: set on every fragment but the last.</summary>
    public bool MoreFragments { get; init; }
    public byte Protocol { get; init; }
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }
    /// <summary>Echo request and reply only.</summary>
    public ushort IcmpId { get; init; }
    /// <summary>Echo request and reply only.</summary>
    public ushort IcmpSequence { get; init; }
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public uint TcpSequence { get; init; }
    public uint TcpAcknowledgment { get; init; }
    public byte TcpFlags { get; init; }
    /// <summary>The L4 payload's length by the IP header (what was sent, not what was captured).</summary>
    public int PayloadLength { get; init; }
    /// <summary>Hash of the first <see cref="PacketHeaderReader.PayloadHashBytes"/> captured payload bytes.</summary>
    public ulong PayloadHash { get; init; }
    /// <summary>Hash of every captured byte of the frame.</summary>
    public ulong FrameHash { get; init; }
    /// <summary>
    /// The packet an ICMP error quotes: its protocol, or 0 when the error quotes no TCP or UDP header or ICMP echo
    /// (or this is no error). NAT rewrites the quote as it rewrites the packet, so it names the flow on every hop.
    /// </summary>
    public byte QuotedProtocol { get; init; }
    public uint QuotedSource { get; init; }
    public uint QuotedDestination { get; init; }
    /// <summary>The quoted ports; for a quoted echo its id, in both, as <see cref="FlowTuple"/> keys it.</summary>
    public ushort QuotedSourcePort { get; init; }
    public ushort QuotedDestinationPort { get; init; }
    /// <summary>The quoted packet's IP id: NAT keeps it, so it says which packet the error answers.</summary>
    public ushort QuotedIpId { get; init; }

    public bool IsIcmpEcho => Depth == HeaderDepth.Transport && Protocol == Icmp && IcmpType is 0 or 8;

    /// <summary>An ICMP error that quotes a packet of a flow (see <see cref="QuotedProtocol"/>).</summary>
    public bool HasQuote => QuotedProtocol != 0;

    /// <summary>A fragment of a larger packet: the first (more follow) or a later one.</summary>
    public bool IsFragment => Depth >= HeaderDepth.Ipv4 && (MoreFragments || FragmentOffset != 0);

    /// <summary>What a bridge leaves alone: the whole frame. The same key on tap0 and br0 is the same packet.</summary>
    public ulong BridgedKey => FrameHash;

    /// <summary>
    /// What survives routing and MASQUERADE: protocol, IP id, ICMP type and sequence or TCP sequence and
    /// acknowledgment, and the payload hash; never addresses, ports, ICMP id, TTL, MACs or checksums.
    /// Zero without an IPv4 header.
    /// </summary>
    public ulong NatInvariantKey
    {
        get
        {
            if (Depth < HeaderDepth.Ipv4)
                return 0;
            var hash = Hash64.Start(Protocol | (ulong)IpId << 8 | (ulong)FragmentOffset << 24);
            if (Depth == HeaderDepth.Transport && Protocol == Icmp)
                // An ICMP error quotes the header NAT rewrote, and NAT rewrites the quote too: its payload changes,
                // the quoted packet's protocol and IP id do not.
                hash = IsIcmpEcho
                    ? Hash64.Mix(Hash64.Mix(hash, IcmpType | (ulong)IcmpSequence << 8), PayloadHash)
                    : Hash64.Mix(hash, IcmpType | (ulong)IcmpCode << 8 | (ulong)QuotedProtocol << 16 | (ulong)QuotedIpId << 24);
            else if (Depth == HeaderDepth.Transport && Protocol == Tcp)
                hash = Hash64.Mix(Hash64.Mix(hash, TcpSequence | (ulong)TcpAcknowledgment << 32), PayloadHash);
            else
                hash = Hash64.Mix(hash, PayloadHash);
            return Hash64.Avalanche(hash) is var key and not 0 ? key : 1;
        }
    }

    /// <summary>The sequence number a TCP segment's answer acknowledges: SYN and FIN count one.</summary>
    internal uint TcpSequenceEnd =>
        TcpSequence + (uint)PayloadLength + ((TcpFlags & TcpSyn) != 0 ? 1u : 0) + ((TcpFlags & TcpFin) != 0 ? 1u : 0);
}

using System.Net;

namespace NetDashboard.Lab.Model;

/// <summary>What a conntrack line reports: a listed entry (conntrack -L) or an event (conntrack -E).</summary>
public enum ConntrackEvent
{
    Listed,
    New,
    Update,
    Destroy,
}

/// <summary>ICMP's part of a tuple: conntrack keys echo on the id as TCP and UDP key on ports.</summary>
public readonly record struct ConntrackIcmp(byte Type, byte Code, ushort Id);

public readonly record struct ConntrackCounters(ulong Packets, ulong Bytes);

/// <summary>A connection's packets among those captured, each counted once: as the guest sent them, and the answers.</summary>
public readonly record struct FlowPackets(int Original, int Reply);

/// <summary>One direction of a tracked connection. Ports for TCP, UDP and the like; <see cref="Icmp"/> for ICMP.</summary>
/// <param name="Counters">Present when the kernel counts (net.netfilter.nf_conntrack_acct).</param>
public sealed record ConntrackTuple(
    IPAddress Source,
    IPAddress Destination,
    ushort? SourcePort,
    ushort? DestinationPort,
    ConntrackIcmp? Icmp,
    ConntrackCounters? Counters);

/// <summary>
/// One line of conntrack's output. The reply tuple is what the answer carries after NAT: for MASQUERADE its
/// destination is the uplink's address and, when two guests collided, a rewritten port or ICMP id.
/// </summary>
/// <param name="ProtocolNumber">The IP protocol number (6 for tcp).</param>
/// <param name="TimeoutSeconds">Seconds the entry has left; absent on DESTROY events.</param>
/// <param name="State">The protocol's state, such as ESTABLISHED, when it has one.</param>
/// <param name="TimestampMicros">When conntrack printed the event (conntrack -E -o timestamp), microseconds since the Unix epoch.</param>
public sealed record ConntrackEntry(
    ConntrackEvent Event,
    string Protocol,
    byte ProtocolNumber,
    uint? TimeoutSeconds,
    string? State,
    ConntrackTuple Original,
    ConntrackTuple Reply,
    bool Unreplied,
    bool Assured,
    uint? Mark,
    long? TimestampMicros);

/// <summary>One tracked connection as the conntrack panel shows it: both tuples, state and counters, kept up to date.</summary>
/// <param name="ProtocolNumber">The IP protocol number (1 for icmp): what the correlator keys the connection's flow on.</param>
public sealed record NatEntry(string Protocol, byte ProtocolNumber, string? State, ConntrackTuple Original, ConntrackTuple Reply, bool Unreplied,
    bool Assured, DateTimeOffset Seen)
{
    /// <summary>NAT changed the connection: the reply does not come back to where the original came from.</summary>
    public bool Translated => !Reply.Destination.Equals(Original.Source) || Reply.DestinationPort != Original.SourcePort
                              || Reply.Icmp?.Id != Original.Icmp?.Id;
}

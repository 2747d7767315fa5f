using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

/// <summary>
/// The order of the places a packet crosses in a lab, where kernel time cannot tell: a bridge and its port often stamp
/// one frame in the same microsecond. Outbound (from the LAN side) the way is the PC's cable, a port (a VM's tap or
/// ens192), the bridge, the uplink ens160, the wan; a reply goes the other way. A trace follows its own plan's
/// stations, which are built in this order (<see cref="TracePlan"/>); the captures page and the graph order a journey
/// of open panes by it.
/// </summary>
public static class PathOrder
{
    /// <summary>Where <paramref name="place"/> comes on the way out: the PC's side first, the wan last.</summary>
    public static int Rank(InterfaceRef place, Topology? topology) => place switch
    {
        { Role: NamespaceRole.Pc } => 0,
        { Role: NamespaceRole.Wan } => 4,
        { Name: WorldDefinition.UplinkName } => 3,
        _ when topology?.Host.Link(place.Name) is { Kind: "bridge" } => 2,
        _ => 1,
    };

    /// <summary>
    /// The hops by kernel time, ties broken by the way the packet goes: <paramref name="outbound"/> from the LAN
    /// side, else back. The hops tied this way are copies of one frame, so what changed at each stays where it was.
    /// </summary>
    public static PacketJourney InOrder(PacketJourney journey, Topology? topology, bool outbound) =>
        journey with
        {
            Hops = [.. journey.Hops.OrderBy(h => h.OffsetMicros).ThenBy(h => outbound ? Rank(h.Interface, topology) : -Rank(h.Interface, topology))],
        };

    /// <summary>Whether a packet from <paramref name="source"/> starts on the LAN side: its address is on one of the host's bridges.</summary>
    public static bool IsOutbound(string? source, Topology? topology)
    {
        if (!System.Net.IPAddress.TryParse(source, out var address)) return source is not null;
        return topology?.Host.Links.Where(l => l.Kind == "bridge").SelectMany(l => l.Addresses).Any(a => a.Network.Contains(address)) == true;
    }
}

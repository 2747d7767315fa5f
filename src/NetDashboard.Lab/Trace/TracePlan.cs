using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

/// <summary>Where a trace starts: a VM of the lab (by name, with its tap), the external PC, or the host.</summary>
public sealed record TraceSource(string Name, string? Tap = null)
{
    public bool IsVm => Tap is not null;
    public static TraceSource Pc { get; } = new("pc");
    public static TraceSource Host { get; } = new("host");
}

/// <summary>One interface the probe should cross, in order: host/tap0, host/br0, host/ens160, wan/eth0.</summary>
public sealed record TraceStation(NamespaceRole Role, string Interface, bool Exists)
{
    public InterfaceRef Name => new(Role, Interface);
}

/// <summary>
/// The interfaces a probe from <see cref="Source"/> to <see cref="Target"/> crosses, from the kernel's own tables: the
/// sender's way into the host (a VM's tap, or the PC's cable ens192), the bridge that port belongs to — or should
/// belong to, by the lab file — the host's way out by its routes, and the wan's side of the uplink.
/// </summary>
/// <param name="Destination">The station of the namespace that holds the target now (wan/eth0 for the internet server):
/// the probe arrived when it was seen there. Null when no namespace of the lab holds it (a VM, or nobody): then only a
/// reply says it arrived.</param>
public sealed record TracePlan(TraceSource Source, IPAddress Target, IReadOnlyList<TraceStation> Stations, string? Bridge, string? Egress,
    InterfaceRef? Destination = null)
{
    /// <param name="kernelEgress">Where the kernel says it sends the probe (`ip route get … iif br0`), which policy routing
    /// can make other than the main table's longest match; null to go by the main table.</param>
    public static TracePlan For(TraceSource source, IPAddress target, Topology topology, LabDefinition? definition, string? kernelEgress = null)
    {
        var host = topology.Host;
        var stations = new List<TraceStation>();
        void Add(NamespaceRole role, string iface, NamespaceState? ns) =>
            stations.Add(new TraceStation(role, iface, ns?.Exists == true && ns.Link(iface) is not null));

        string? bridge = null;
        var port = source.IsVm ? source.Tap : source == TraceSource.Pc ? WorldDefinition.LanNicName : null;
        if (source == TraceSource.Pc)
            Add(NamespaceRole.Pc, WorldDefinition.PeerName, topology.Find(NamespaceRole.Pc));
        if (port is not null)
        {
            Add(NamespaceRole.Host, port, host);
            // The bridge the port is in; else the one the lab file puts it in; else the one whose subnet the sender is on.
            var sender = source.IsVm ? definition?.Vm(source.Name)?.Address : (definition?.World ?? new WorldDefinition()).PcAddress;
            bridge = host.Link(port)?.Master
                     ?? definition?.Host.Bridges.FirstOrDefault(b => b.Ports.Contains(port))?.Name
                     ?? host.Links.FirstOrDefault(l => l.Kind == "bridge" && sender is not null && l.Addresses.Any(a => a.Network.Contains(sender.Address)))?.Name;
            if (bridge is not null && bridge != port)
                Add(NamespaceRole.Host, bridge, host);
        }
        // A destination on the bridge's own subnet is delivered there: nothing is routed.
        var local = bridge is not null && host.Link(bridge)?.Addresses.Any(a => a.Network.Contains(target)) == true;
        string? egress = null;
        var wan = topology.Find(NamespaceRole.Wan);
        var wanHolds = wan?.Links.Any(l => l.Addresses.Any(a => a.Address.Equals(target))) == true;
        if (!local && (kernelEgress ?? RouteTo(host, target)?.Device) is { } device && device != bridge)
        {
            egress = device;
            Add(NamespaceRole.Host, device, host);
            if (device == WorldDefinition.UplinkName)
                Add(NamespaceRole.Wan, WorldDefinition.PeerName, wan);
        }
        else if (!local && wanHolds && host.Link(WorldDefinition.UplinkName) is not null)
        {
            // No route out by the main table (the uplink is down, a route refuses, policy routing the table does not
            // show): the way to the wan is still the uplink, and is shown, seen or not.
            egress = WorldDefinition.UplinkName;
            Add(NamespaceRole.Host, WorldDefinition.UplinkName, host);
            Add(NamespaceRole.Wan, WorldDefinition.PeerName, wan);
        }
        var peer = new InterfaceRef(NamespaceRole.Wan, WorldDefinition.PeerName);
        InterfaceRef? destination = wanHolds && stations.Any(s => s.Name == peer) ? peer : null;
        return new TracePlan(source, target, stations, bridge, egress, destination);
    }

    /// <summary>The route the kernel of <paramref name="ns"/> would take to <paramref name="target"/>: the longest matching prefix.</summary>
    public static RouteState? RouteTo(NamespaceState ns, IPAddress target) =>
        ns.Routes
            .Select(route => (Route: route, Subnet: route.Destination == "default" ? Subnet.Parse("0.0.0.0/0")
                : Subnet.TryParse(route.Destination.Contains('/') ? route.Destination : $"{route.Destination}/32", out var s) ? s : null))
            .Where(r => r.Subnet?.Contains(target) == true)
            .OrderByDescending(r => r.Subnet!.Network.PrefixLength)
            .Select(r => r.Route)
            .FirstOrDefault();
}

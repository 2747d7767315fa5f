namespace NetDashboard.Lab.Model;

/// <summary>What the kernel holds for one lab at one moment: one entry per namespace of the lab.</summary>
public sealed record Topology(string Lab, DateTimeOffset TakenAt, IReadOnlyList<NamespaceState> Namespaces)
{
    public NamespaceState? Find(NamespaceRole role) => Namespaces.FirstOrDefault(n => n.Role == role);

    public NamespaceState Host => Find(NamespaceRole.Host) ?? NamespaceState.Missing(new LabNamespaces(Lab).Host, NamespaceRole.Host);

    /// <summary>True when the kernel state is the same, whatever the time of reading.</summary>
    public bool SameStateAs(Topology other) =>
        Lab == other.Lab && Namespaces.Count == other.Namespaces.Count && Namespaces.Zip(other.Namespaces).All(p => p.First.SameStateAs(p.Second));
}

public sealed record NamespaceState(
    string Name,
    NamespaceRole Role,
    bool Exists,
    IReadOnlyList<LinkState> Links,
    IReadOnlyList<RouteState> Routes,
    bool Forwarding,
    IReadOnlyList<NatRule> NatRules)
{
    public static NamespaceState Missing(string name, NamespaceRole role) => new(name, role, false, [], [], false, []);

    public LinkState? Link(string name) => Links.FirstOrDefault(l => l.Name == name);

    public bool SameStateAs(NamespaceState other) =>
        Name == other.Name && Role == other.Role && Exists == other.Exists && Forwarding == other.Forwarding
        && Links.SequenceEqual(other.Links) && Routes.SequenceEqual(other.Routes) && NatRules.SequenceEqual(other.NatRules);
}

/// <summary>One network interface as `ip -j -d addr` and `bridge -j link` report it.</summary>
public sealed record LinkState
{
    public required string Name { get; init; }
    public int Index { get; init; }
    /// <summary>linkinfo kind: bridge, veth, tun, …; "loopback" for lo; "" when the kernel gives none.</summary>
    public string Kind { get; init; } = "";
    public string? Mac { get; init; }
    public int Mtu { get; init; }
    /// <summary>Administratively up (the UP flag), whatever the carrier.</summary>
    public bool AdminUp { get; init; }
    /// <summary>The kernel's operstate: UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ….</summary>
    public string OperState { get; init; } = "UNKNOWN";
    public bool NoCarrier { get; init; }
    public string? Master { get; init; }
    /// <summary>For a bridge port: the STP port state (forwarding, disabled, …).</summary>
    public string? PortState { get; init; }
    public IReadOnlyList<InterfaceAddress> Addresses { get; init; } = [];

    /// <summary>UP, DOWN or NO-CARRIER, as a person reads a link's state.</summary>
    public string State => !AdminUp ? "DOWN" : NoCarrier ? "NO-CARRIER" : "UP";

    public bool Equals(LinkState? other) =>
        other is not null && Name == other.Name && Index == other.Index && Kind == other.Kind && Mac == other.Mac
        && Mtu == other.Mtu && AdminUp == other.AdminUp && OperState == other.OperState && NoCarrier == other.NoCarrier
        && Master == other.Master && PortState == other.PortState && Addresses.SequenceEqual(other.Addresses);

    public override int GetHashCode() => HashCode.Combine(Name, Index, AdminUp, Master);
}

/// <summary>A route in the main table; Destination is "default" or a CIDR.</summary>
/// <summary>One entry of a namespace's neighbour (ARP) table.</summary>
public sealed record NeighbourEntry(string Address, string? Device, string? Mac, string State);

/// <summary>One entry of a bridge's forwarding database: which MAC was seen on which port, local (the port's own) or learned.</summary>
/// <param name="AgeSeconds">Seconds since the entry was last refreshed (learned entries age out), when the kernel says.</param>
public sealed record FdbEntry(string Mac, string Port, bool Local, int? AgeSeconds);

/// <summary>A namespace's tables as the kernel holds them now, read when a person looks at them.</summary>
public sealed record KernelTables(IReadOnlyList<RouteState> Routes, IReadOnlyList<NeighbourEntry> Neighbours, IReadOnlyList<FdbEntry> MacTable);

/// <param name="Type">The route's type when not a plain unicast one: blackhole, unreachable, prohibit, throw, local.</param>
public sealed record RouteState(string Destination, string? Gateway, string? Device, string? Protocol, string? Scope, string? Type = null)
{
    /// <summary>A route whose packets the kernel refuses instead of sending (blackhole, unreachable, prohibit).</summary>
    public bool Blocks => Type is "blackhole" or "unreachable" or "prohibit";

    /// <summary>As `ip route` prints it, in short: "[type ]DEST[ via GW][ dev DEV]".</summary>
    public string Text => $"{(Type is { } type ? $"{type} " : "")}{Destination}{(Gateway is { } gw ? $" via {gw}" : "")}{(Device is { } dev ? $" dev {dev}" : "")}";
}

/// <summary>One rule of the nat table's POSTROUTING chain, as `iptables -S` prints it.</summary>
public sealed record NatRule(string Chain, string? Source, string? NotDestination, string? OutInterface, string Target, string? Comment, string Spec)
{
    public bool IsMasquerade => Target == "MASQUERADE";
}

using NetDashboard.Lab.Model;

namespace NetDashboard.Model;

/// <summary>
/// A node of the topology graph. Parent makes the namespace boxes. X/Y are its column and row in the graph's grid (VMs,
/// taps, bridges, router and uplinks, wan and PC); the browser turns them into positions from the labels' measured sizes.
/// </summary>
public sealed record GraphNode(string Id, string Label, string Kind, string? Parent, string State, double X, double Y);

/// <summary>
/// An edge: member (port → bridge), cable (veth pair between namespaces), vm (VM → its tap) or route (an addressed
/// host link ↔ the host's router). State is "up" when both ends pass packets, else "down".
/// </summary>
public sealed record GraphEdge(string Id, string Source, string Target, string Kind, string State = "up");

public sealed record GraphModel(IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges)
{
    public static GraphModel Empty { get; } = new([], []);
}

/// <summary>
/// Turns a kernel snapshot (joined with the VMs the app knows) into graph elements. Pure, so the mapping is
/// unit-tested; grid cells are fixed per role so a node keeps its place when others come and go.
/// </summary>
public static class TopologyGraph
{
    public static string NamespaceId(NamespaceRole role) => GraphElementId.Namespace(role).ToString();
    public static string LinkId(NamespaceRole role, string link) => GraphElementId.Link(role, link).ToString();
    public static string VmId(string vm) => GraphElementId.Vm(vm).ToString();
    public static readonly string ServerId = GraphElementId.Server.ToString();
    public static readonly string RouterId = GraphElementId.Router.ToString();

    /// <param name="guests">What each running guest holds (its agent's answer); a VM without one shows what the file wants, marked as wanted.</param>
    public static GraphModel Build(Topology topology, LabDefinition? definition, IReadOnlyList<VmStatus> vms,
        IReadOnlyDictionary<string, GuestState>? guests = null)
    {
        var nodes = new List<GraphNode>();
        var edges = new List<GraphEdge>();
        foreach (var ns in topology.Namespaces.Where(n => n.Exists))
        {
            nodes.Add(new GraphNode(NamespaceId(ns.Role), NamespaceLabel(ns), "namespace", null, NamespaceState(ns), 0, 0));
            var bridges = ns.Links.Where(l => l.Kind == "bridge").Select(l => l.Name).ToList();
            var taps = ns.Links.Where(l => l.Kind == "tun").Select(l => l.Name).Order(StringComparer.Ordinal).ToList();
            var others = 0;
            foreach (var link in ns.Links.Where(l => l.Kind != "loopback"))
            {
                var (x, y) = Place(ns.Role, link, bridges, taps, ref others);
                nodes.Add(new GraphNode(LinkId(ns.Role, link.Name), LinkLabel(link), LinkKind(link), NamespaceId(ns.Role), StateClass(link), x, y));
                if (link.Master is not null && ns.Link(link.Master) is { } master)
                    edges.Add(new GraphEdge($"member:{Role(ns.Role)}:{link.Name}", LinkId(ns.Role, link.Name), LinkId(ns.Role, link.Master), "member",
                        Passes(link, master)));
            }
        }

        var host = topology.Find(NamespaceRole.Host);
        if (host is { Exists: true })
            AddRouter(nodes, edges, host);
        var wan = topology.Find(NamespaceRole.Wan);
        var pc = topology.Find(NamespaceRole.Pc);
        AddCable(edges, host, WorldDefinition.UplinkName, wan, WorldDefinition.PeerName);
        AddCable(edges, host, WorldDefinition.LanNicName, pc, WorldDefinition.PeerName);

        if (wan is { Exists: true })
        {
            var server = definition?.World.InternetServer.ToString() ?? "203.0.113.5";
            var answers = wan.Link("lo")?.Addresses.Any(a => a.Address.ToString() == server) == true;
            nodes.Add(new GraphNode(ServerId, $"internet server\n{server}", "server", NamespaceId(NamespaceRole.Wan), answers ? "up" : "down", WorldColumn, 0));
        }

        var hostTaps = host?.Links.Where(l => l.Kind == "tun").Select(l => l.Name).Order(StringComparer.Ordinal).ToList() ?? [];
        foreach (var (vm, i) in (definition?.Vms ?? []).Select((vm, i) => (vm, i)))
        {
            var status = vms.FirstOrDefault(s => s.Name == vm.Name);
            var tapIndex = hostTaps.IndexOf(vm.Tap);
            var row = tapIndex >= 0 ? tapIndex : hostTaps.Count + i;
            nodes.Add(new GraphNode(VmId(vm.Name), VmLabel(vm, status, guests?.GetValueOrDefault(vm.Name)), "vm", null, (status?.State ?? VmState.Stopped).ToString().ToLowerInvariant(), 0, row));
            if (host?.Link(vm.Tap) is { } tap)
                edges.Add(new GraphEdge($"vmtap:{vm.Name}", VmId(vm.Name), LinkId(NamespaceRole.Host, vm.Tap), "vm",
                    status?.State == VmState.Running && tap.AdminUp ? "up" : "down"));
        }
        return new GraphModel(nodes, edges);
    }

    public static string StateClass(LinkState link) => link.State switch
    {
        "UP" => "up",
        "NO-CARRIER" => "nocarrier",
        _ => "down",
    };

    private static void AddCable(List<GraphEdge> edges, NamespaceState? a, string aLink, NamespaceState? b, string bLink)
    {
        if (a?.Link(aLink) is { } left && b?.Link(bLink) is { } right)
            edges.Add(new GraphEdge($"cable:{Role(a.Role)}:{aLink}", LinkId(a.Role, aLink), LinkId(b.Role, bLink), "cable", Passes(left, right)));
    }

    private static string Passes(LinkState a, LinkState b) => a.AdminUp && b.AdminUp ? "up" : "down";

    /// <summary>
    /// The host's router (routing table + netfilter), as in the tutorial's NAT figure: joined to every host link that
    /// has an address (br0, ens160, an addressed tap), carrying forwarding and the NAT rules.
    /// </summary>
    private static void AddRouter(List<GraphNode> nodes, List<GraphEdge> edges, NamespaceState host)
    {
        var nat = host.NatRules.Where(r => r.IsMasquerade).Select(r => $"MASQUERADE {r.Source}").ToList();
        var label = string.Join('\n', new[] { "router", host.Forwarding ? "forwarding on" : "forwarding off" }.Concat(nat));
        nodes.Add(new GraphNode(RouterId, label, "router", NamespaceId(NamespaceRole.Host), host.Forwarding ? "on" : "off", UplinkColumn, 0));
        foreach (var link in host.Links.Where(l => l.Kind != "loopback" && l.Addresses.Count > 0))
            edges.Add(new GraphEdge($"route:{link.Name}", LinkId(NamespaceRole.Host, link.Name), RouterId, "route", link.AdminUp ? "up" : "down"));
    }

    // The grid: VMs (column 0) on their taps (1), bridges (2) in the middle of the taps, the router above the uplinks
    // (3), the wan beside ens160 with the internet server above, the external PC beside ens192 (4). Rows start at 0.
    private const int UplinkColumn = 3, WorldColumn = 4;

    private static (double X, double Y) Place(NamespaceRole role, LinkState link, List<string> bridges, List<string> taps, ref int others)
    {
        switch (role)
        {
            case NamespaceRole.Wan: return (WorldColumn, 1);
            case NamespaceRole.Pc: return (WorldColumn, 2);
        }
        if (link.Name == WorldDefinition.UplinkName) return (UplinkColumn, 1);
        if (link.Name == WorldDefinition.LanNicName) return (UplinkColumn, 2);
        if (link.Kind == "bridge") return (2, Math.Max(0, taps.Count - 1) / 2 + bridges.IndexOf(link.Name));
        if (link.Kind == "tun") return (1, taps.IndexOf(link.Name));
        return (UplinkColumn, 3 + others++);
    }

    private static string NamespaceLabel(NamespaceState ns)
    {
        var label = ns.Role switch
        {
            NamespaceRole.Host => "host",
            NamespaceRole.Wan => "wan (the internet)",
            _ => "external PC",
        };
        if (ns.Role != NamespaceRole.Host) return label;
        var masquerade = ns.NatRules.Where(r => r.IsMasquerade).Select(r => $"NAT: MASQUERADE {r.Source}").ToList();
        return string.Join("  ·  ", new[] { label, ns.Forwarding ? "forwarding on" : "forwarding off" }.Concat(masquerade));
    }

    private static string NamespaceState(NamespaceState ns) =>
        ns.Role == NamespaceRole.Host && ns.NatRules.Any(r => r.IsMasquerade) ? "nat" : ns.Forwarding ? "forwarding" : "plain";

    private static string LinkKind(LinkState link) => link.Kind switch
    {
        "tun" => "tap",
        "bridge" => "bridge",
        "veth" => "nic",
        _ => "link",
    };

    private static string LinkLabel(LinkState link) =>
        string.Join('\n', new[] { $"{link.Name} ({link.State})" }.Concat(link.Addresses.Select(a => a.ToString())));

    // The address line is what the guest holds; what the file wants but the guest lacks is marked as wanted, never shown as fact.
    private static string VmLabel(VmDefinition vm, VmStatus? status, GuestState? guest)
    {
        var head = $"{vm.Name} · {(status?.State ?? VmState.Stopped).ToString().ToLowerInvariant()}\n{vm.Mac}";
        var wanted = vm.Address is { } address ? $"(wants {address.Address})" : null;
        if (guest is null) return wanted is null ? head : $"{head}\n{wanted}";
        if (!guest.Known) return $"{head}\naddress unknown\n(no agent)";
        var holds = guest.Addresses.Select(a => a.ToString()).ToList();
        var missing = vm.Address is { } want && !guest.Addresses.Contains(want) ? $"\n{wanted}" : "";
        return $"{head}\n{(holds.Count == 0 ? "no address" : string.Join('\n', holds))}{missing}";
    }

    private static string Role(NamespaceRole role) => role.Word();
}

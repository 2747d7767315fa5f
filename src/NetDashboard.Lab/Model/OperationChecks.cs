using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>
/// What the kernel would refuse, or silently do twice, checked against the snapshot before a command is built:
/// a bridge, address, port, rule or route that is already there, a link that is not, a bridge named like a VM's
/// tap. Pure, so every case is unit-tested; the answer names the request's field, as a validation problem does.
/// </summary>
public static class OperationChecks
{
    public static LabFileProblem? Problem(LabOperation operation, Topology topology, LabDefinition? definition)
    {
        var ns = topology.Namespaces.FirstOrDefault(n => n.Name == operation.Namespace);
        if (ns is null || !ns.Exists)
            return new("namespace", $"{operation.Namespace} does not exist");
        return operation switch
        {
            CreateBridge create when definition?.Vms.FirstOrDefault(v => v.Tap == create.Name) is { } vm =>
                new("bridge", $"'{create.Name}' is {vm.Name}'s tap device; a bridge needs a name of its own"),
            CreateBridge create when ns.Link(create.Name) is { } existing =>
                new("bridge", existing.Kind == "bridge" ? $"{create.Name} is already there" : $"'{create.Name}' is already a {existing.Kind} link"),
            DeleteBridge delete when ns.Link(delete.Name)?.Kind != "bridge" => new("bridge", $"there is no bridge named {delete.Name}"),
            AddBridgePort add => PortProblem(ns, add.Bridge, add.Port, joining: true),
            RemoveBridgePort remove => PortProblem(ns, remove.Bridge, remove.Port, joining: false),
            SetLinkState set when ns.Link(set.Link) is null => NoLink(set.Link),
            AddAddress add when ns.Link(add.Link) is not { } link => NoLink(add.Link),
            AddAddress add when ns.Link(add.Link)!.Addresses.Contains(add.Address) => new("address", $"{add.Link} has {add.Address} already"),
            RemoveAddress remove when ns.Link(remove.Link) is null => NoLink(remove.Link),
            RemoveAddress remove when !ns.Link(remove.Link)!.Addresses.Contains(remove.Address) => new("address", $"{remove.Link} has no address {remove.Address}"),
            AddMasquerade add when ns.NatRules.Any(r => SameMasquerade(r, add.Source, add.OutInterface)) =>
                new("source", $"a MASQUERADE rule for {add.Source} is already there"),
            RemoveMasquerade remove when !ns.NatRules.Any(r => SameMasquerade(r, remove.Source, remove.OutInterface)) =>
                new("source", $"there is no MASQUERADE rule for {remove.Source}"),
            AddRoute add when ns.Routes.Any(r => SameRoute(r, add.Destination, add.Gateway)) =>
                new("to", $"a route to {add.Destination} via {add.Gateway} is already there"),
            RemoveRoute remove when !ns.Routes.Any(r => SameRoute(r, remove.Destination, remove.Gateway)) =>
                new("to", $"there is no route to {remove.Destination} via {remove.Gateway}"),
            _ => null,
        };
    }

    private static LabFileProblem? PortProblem(NamespaceState ns, string bridge, string port, bool joining)
    {
        if (ns.Link(bridge)?.Kind != "bridge") return new("bridge", $"there is no bridge named {bridge}");
        if (ns.Link(port) is not { } link) return NoLink(port);
        if (joining && link.Master == bridge) return new("link", $"{port} is already a port of {bridge}");
        if (joining && link.Master is { } other) return new("link", $"{port} is a port of {other}; disconnect it there first");
        if (!joining && link.Master != bridge) return new("link", $"{port} is not a port of {bridge}");
        return null;
    }

    private static LabFileProblem NoLink(string link) => new("link", $"there is no link named {link}");

    private static bool SameMasquerade(NatRule rule, Subnet source, string? outInterface) =>
        rule.IsMasquerade && rule.Source == source.ToString() && rule.OutInterface == outInterface;

    private static bool SameRoute(RouteState route, Subnet destination, System.Net.IPAddress gateway) =>
        route.Destination == (destination.IsDefault ? "default" : destination.ToString()) && route.Gateway == gateway.ToString();
}

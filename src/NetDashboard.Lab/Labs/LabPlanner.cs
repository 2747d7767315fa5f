using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Labs;

/// <summary>The operations that take the kernel from what it holds to what a lab file wants, in the order they must run.</summary>
public sealed record LabPlan(IReadOnlyList<LabOperation> Operations, IReadOnlyList<string> Pending);

/// <summary>
/// Compares a lab definition with a kernel snapshot and lists what is missing. Pure: it runs nothing,
/// so the same snapshot always gives the same plan, and a lab that is complete gives an empty one.
/// </summary>
public static class LabPlanner
{
    public static LabPlan Plan(LabDefinition lab, Topology actual, bool internetServerRunning, string webRoot)
    {
        var names = lab.Namespaces;
        var world = lab.World;
        var ops = new List<LabOperation>();
        var pending = new List<string>();
        var host = actual.Find(NamespaceRole.Host) ?? NamespaceState.Missing(names.Host, NamespaceRole.Host);
        var wan = actual.Find(NamespaceRole.Wan) ?? NamespaceState.Missing(names.Wan, NamespaceRole.Wan);
        var pc = actual.Find(NamespaceRole.Pc) ?? NamespaceState.Missing(names.Pc, NamespaceRole.Pc);

        foreach (var ns in new[] { host, wan, pc }.Where(n => !n.Exists))
            ops.Add(new CreateNamespace(ns.Name));

        // The world's cabling: ens160 to the wan, ens192 to the external PC.
        if (host.Link(WorldDefinition.UplinkName) is null)
            ops.Add(new CreateVethPair(host.Name, WorldDefinition.UplinkName, wan.Name, WorldDefinition.PeerName));
        if (host.Link(WorldDefinition.LanNicName) is null)
            ops.Add(new CreateVethPair(host.Name, WorldDefinition.LanNicName, pc.Name, WorldDefinition.PeerName));

        // Links that exist now or will once the steps above have run.
        var hostLinks = new Dictionary<string, LinkState?>
        {
            ["lo"] = host.Link("lo"),
            [WorldDefinition.UplinkName] = host.Link(WorldDefinition.UplinkName),
            [WorldDefinition.LanNicName] = host.Link(WorldDefinition.LanNicName),
        };
        foreach (var link in host.Links)
            hostLinks.TryAdd(link.Name, link);

        EnsureAddress(ops, wan, "lo", new InterfaceAddress(world.InternetServer, 32));
        EnsureAddress(ops, wan, WorldDefinition.PeerName, world.WanAddress);
        EnsureAddress(ops, host, WorldDefinition.UplinkName, world.UplinkAddress);
        EnsureAddress(ops, pc, WorldDefinition.PeerName, world.PcAddress);
        foreach (var ns in new[] { host, wan, pc })
            EnsureUp(ops, ns, "lo", true);
        EnsureUp(ops, wan, WorldDefinition.PeerName, true);
        EnsureUp(ops, host, WorldDefinition.UplinkName, true);
        EnsureUp(ops, host, WorldDefinition.LanNicName, true);
        EnsureUp(ops, pc, WorldDefinition.PeerName, true);
        EnsureRoute(ops, host, Subnet.Parse("0.0.0.0/0"), world.UplinkGateway, WorldDefinition.UplinkName);
        if (world.PcGateway is { } pcGateway)
            EnsureRoute(ops, pc, Subnet.Parse("0.0.0.0/0"), pcGateway, WorldDefinition.PeerName);

        foreach (var bridge in lab.Host.Bridges)
        {
            var existing = host.Link(bridge.Name);
            if (existing is null)
                ops.Add(new CreateBridge(host.Name, bridge.Name));
            else if (existing.Kind != "bridge")
                pending.Add($"{bridge.Name} exists in {host.Name} but is a {existing.Kind} link, not a bridge");
        }

        foreach (var bridge in lab.Host.Bridges)
        {
            foreach (var port in bridge.Ports)
            {
                if (!hostLinks.TryGetValue(port, out var link))
                {
                    pending.Add($"{port} joins {bridge.Name} once its VM has created it");
                    continue;
                }
                if (link?.Master != bridge.Name)
                    ops.Add(new AddBridgePort(host.Name, bridge.Name, port));
                EnsureUp(ops, host, port, true);
            }
            foreach (var address in bridge.Addresses)
                EnsureAddress(ops, host, bridge.Name, address);
            EnsureUp(ops, host, bridge.Name, bridge.Up);
        }

        foreach (var item in lab.Host.Interfaces)
        {
            if (!hostLinks.ContainsKey(item.Name))
            {
                pending.Add($"{item.Name} is configured once its VM has created it");
                continue;
            }
            foreach (var address in item.Addresses)
                EnsureAddress(ops, host, item.Name, address);
            EnsureUp(ops, host, item.Name, item.Up);
        }

        if (host.Forwarding != lab.Host.Forwarding)
            ops.Add(new SetForwarding(host.Name, lab.Host.Forwarding));

        var tag = RuleTags.Of(lab.Name);
        foreach (var rule in lab.Host.Masquerade)
        {
            var present = host.NatRules.Any(r => r.IsMasquerade && r.Comment == tag && r.Source == rule.Source.ToString()
                && r.NotDestination == rule.Source.ToString() && r.OutInterface == rule.OutInterface);
            if (!present)
                ops.Add(new AddMasquerade(host.Name, rule.Source, rule.OutInterface, tag));
        }

        foreach (var route in lab.Host.Routes)
            EnsureRoute(ops, host, route.Destination, route.Gateway, null);

        if (!internetServerRunning)
            ops.Add(new StartInternetServer(wan.Name, webRoot));

        // A step wanted twice (ens192 up, as a NIC and as a bridge port) runs once.
        return new LabPlan(ops.Distinct().ToList(), pending);
    }

    private static void EnsureAddress(List<LabOperation> ops, NamespaceState ns, string link, InterfaceAddress address)
    {
        if (ns.Link(link)?.Addresses.Contains(address) != true)
            ops.Add(new AddAddress(ns.Name, link, address));
    }

    private static void EnsureUp(List<LabOperation> ops, NamespaceState ns, string link, bool up)
    {
        var existing = ns.Link(link);
        // A link that does not exist yet comes into being down.
        if ((existing?.AdminUp ?? false) != up)
            ops.Add(new SetLinkState(ns.Name, link, up));
    }

    private static void EnsureRoute(List<LabOperation> ops, NamespaceState ns, Subnet destination, System.Net.IPAddress gateway, string? device)
    {
        var dst = destination.IsDefault ? "default" : destination.ToString();
        if (!ns.Routes.Any(r => r.Destination == dst && r.Gateway == gateway.ToString()))
            ops.Add(new AddRoute(ns.Name, destination, gateway, device));
    }
}

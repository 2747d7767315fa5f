using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

// The checks that rest on what the kernel said of the probe itself, and the evidence every verdict quotes.
public static partial class TraceDiagnosis
{
    private static TraceEvidence Said(RouteAnswer answer) => new(TraceEvidence.Route, answer.Station, answer.Text);

    private static TraceEvidence Said(ProbeDrop drop) => new(TraceEvidence.DropReason, drop.Station, drop.Text);

    private static TraceEvidence Said(NetfilterHit hit, KernelFacts facts) =>
        new(TraceEvidence.Netfilter, new InterfaceRef(hit.Role, hit.InInterface ?? hit.OutInterface ?? "?"),
            facts.CountedRule(hit) is { } counted ? $"{hit.Text}; with its counters: {counted}" : hit.Text);

    /// <summary>The host's routing decision for the packet on its way out, quoted.</summary>
    private static IReadOnlyList<TraceEvidence> ForwardRoute(TraceObservation o) =>
        [.. o.Facts.Routes.Where(r => r.Station.Role == NamespaceRole.Host && r.Station.Name != o.Plan.Egress).Select(Said)];

    private static IReadOnlyList<TraceEvidence> DropsSaying(TraceObservation o, params string[] reasons) =>
        [.. o.Facts.Drops.Where(d => reasons.Contains(d.Reason)).Select(Said)];

    /// <summary>The cause's own evidence first, then everything else the kernel said, then what could not be asked.</summary>
    private static IReadOnlyList<TraceEvidence> WithKernelWords(TraceObservation o, IReadOnlyList<TraceEvidence> first)
    {
        var facts = o.Facts;
        return first
            .Concat(facts.Netfilter.Where(h => h.Drops).Select(h => Said(h, facts)))
            .Concat(facts.Drops.Select(Said))
            .Concat(facts.Routes.Select(Said))
            .Concat(facts.Unavailable.Select(u => new TraceEvidence(TraceEvidence.Checked, null, $"not asked: {u}")))
            .DistinctBy(e => (e.Source, e.Text))
            .ToList();
    }

    private static TraceVerdictDraft? FirewallDrop(TraceObservation o)
    {
        if (o.Facts.FirstDrop is not { } hit) return null;
        var where = hit.Role.Word();
        var what = hit.Source == o.Plan.Target.ToString() ? "the reply" : "the probe";
        if (hit.IsPolicy)
            return new("firewall-policy", $"The {hit.Chain} chain of the {where}'s {hit.Table} table dropped {what} by its policy (no rule accepted it first).",
                null, [Said(hit, o.Facts)]);
        var delete = $"-D {hit.Rule![3..]}";
        var tutorial = $"iptables -t {hit.Table} {delete}";
        return new("firewall-drop", $"A rule in the {where}'s {hit.Table} table, chain {hit.Chain}, dropped {what}: {hit.Rule}.",
            new TraceFix($"({where})$ {tutorial}", [new OperationRequest { Kind = "removeFirewallRule", Namespace = where, Table = hit.Table, Rule = hit.Rule }]),
            [Said(hit, o.Facts)]);
    }

    private static TraceVerdictDraft? WrongNeighbour(TraceObservation o, IPAddress? gateway, LinkState? bridge)
    {
        if (!o.Plan.Source.IsVm || gateway is null || bridge?.Mac is not { } real) return null;
        if (o.Guest?.Neighbours.FirstOrDefault(n => n.Address == gateway.ToString()) is not { Mac: { } held } entry) return null;
        // The bridge takes in, as its own, frames for its MAC and for any of its ports' (a bridge's MAC follows its
        // lowest port's until set, so a guest's cached entry may name a port's): only another MAC is nobody's.
        var local = o.Topology.Host.Links.Where(l => l.Master == bridge.Name).Select(l => l.Mac).Append(real);
        if (local.Any(mac => string.Equals(mac, held, StringComparison.OrdinalIgnoreCase))) return null;
        // A learned entry that went stale is asked again by the guest within seconds: blamed only when static, or when
        // the kernel said it dropped the frame as another host's.
        if (entry.State != "PERMANENT" && DropsSaying(o, "OTHERHOST").Count == 0) return null;
        var who = o.Plan.Source.Name;
        return new("wrong-neighbour",
            $"{who}'s ARP table holds {held} for its gateway {gateway}, but {bridge.Name}'s MAC is {real}: its frames go to a MAC nobody has, and the host drops them.",
            GuestFix(who, $"arp -d {gateway}"),
            [new(TraceEvidence.Guest, null, $"({who})$ ip neigh → {gateway} lladdr {held} {entry.State}"),
             new(TraceEvidence.Link, InterfaceRef.Host(bridge.Name), $"{bridge.Name} link/ether {real}"), .. DropsSaying(o, "OTHERHOST")]);
    }

    private static TraceVerdictDraft? UplinkDown(TraceObservation o)
    {
        var host = o.Topology.Host;
        if (o.Plan.Egress is { } egress && egress != WorldDefinition.UplinkName) return null;
        if (host.Link(WorldDefinition.UplinkName) is not { AdminUp: false } uplink) return null;
        var world = o.Definition?.World ?? new WorldDefinition();
        // What left with the link: the routes through it that the lab wants (the default route by the world's gateway).
        var wanted = (o.Definition?.Host.Routes ?? []).Where(r => world.UplinkAddress.Network.Contains(r.Gateway)).Select(r => (To: r.Destination.ToString(), Via: r.Gateway))
            .Prepend((To: "default", Via: world.UplinkGateway))
            .Where(r => !host.Routes.Any(h => h.Gateway == r.Via.ToString() && (h.Destination == r.To || (r.To == "0.0.0.0/0" && h.Destination == "default"))))
            .DistinctBy(r => r.To)
            .ToList();
        var steps = new List<OperationRequest> { new() { Kind = "setLinkState", Namespace = "host", Link = uplink.Name, Up = true } };
        steps.AddRange(wanted.Select(r => new OperationRequest { Kind = "addRoute", Namespace = "host", To = r.To, Via = r.Via.ToString() }));
        var lines = new[] { $"ifconfig {uplink.Name} up" }.Concat(wanted.Select(r => r.To == "default" ? $"route add default gw {r.Via}" : $"route add -net {r.To} gw {r.Via}"));
        return new("uplink-down",
            $"{uplink.Name} is down, so the host has no way out: the routes through it left with it, and the kernel finds no route to {o.Plan.Target}.",
            new TraceFix($"(host)$ {string.Join(" ; ", lines)}", steps),
            [new(TraceEvidence.Link, InterfaceRef.Host(uplink.Name), $"{uplink.Name} state {uplink.State}"), .. ForwardRoute(o)]);
    }

    private static TraceVerdictDraft? BlockingRoute(TraceObservation o)
    {
        if (TracePlan.RouteTo(o.Topology.Host, o.Plan.Target) is not { Blocks: true } route) return null;
        // `ip -j route` prints a host route without its /32; the operation takes a subnet.
        var to = route.Destination.Contains('/') ? route.Destination : $"{route.Destination}/32";
        return new("blocking-route", $"{(route.Type is "unreachable" ? "An" : "A")} {route.Type} route for {to} in the host refuses the packet, so it goes nowhere.",
            HostFix(new OperationRequest { Kind = "removeBlockingRoute", Namespace = "host", To = to, RouteType = route.Type }, $"ip route del {route.Type} {to}"),
            [new(TraceEvidence.Route, null, $"ip route show → {route.Type} {to}"), .. ForwardRoute(o), .. DropsSaying(o, "IP_INNOROUTES", "IP_OUTNOROUTES")]);
    }

    private static TraceVerdictDraft? ConntrackFull(TraceObservation o)
    {
        if (!o.Facts.ConntrackDropped || o.Facts.ConntrackAfter is not { } after) return null;
        var dropped = after.Drops - (o.Facts.ConntrackBefore?.Drops ?? after.Drops);
        return new("conntrack-full",
            $"The host's connection-tracking table is full ({after.Count} of {after.Max} entries), so the kernel drops every packet that would start a new connection.",
            HostFix(new OperationRequest { Kind = "flushConntrack", Namespace = "host" }, "conntrack -F"),
            [new(TraceEvidence.Conntrack, null, $"net.netfilter.nf_conntrack_count = {after.Count}, nf_conntrack_max = {after.Max}; conntrack -S: drop, early_drop and insert_failed rose by {dropped} during the probe")]);
    }

    private static TraceVerdictDraft? TooBig(TraceObservation o)
    {
        if (o.Protocol?.PacketLength is not { } length || o.Plan.Egress is not { } egress) return null;
        if (o.Topology.Host.Link(egress) is not { Mtu: > 0 } link || link.Mtu >= length) return null;
        const int Ethernet = 1500;
        return new("too-big",
            $"{egress}'s MTU is {link.Mtu} bytes, smaller than the {length}-byte probe, which may not be split (DF): the host drops it and answers \"fragmentation needed\".",
            HostFix(new OperationRequest { Kind = "setMtu", Namespace = "host", Link = egress, Mtu = Ethernet }, $"ifconfig {egress} mtu {Ethernet}"),
            [new(TraceEvidence.Link, InterfaceRef.Host(egress), $"{egress} mtu {link.Mtu}; the probe is {length} bytes"), .. DropsSaying(o, "PKT_TOO_BIG")]);
    }

    /// <summary>The request reached the wan, which holds no such address (the internet server's was removed).</summary>
    private static TraceVerdictDraft? NoSuchAddress(TraceObservation o)
    {
        var peer = new InterfaceRef(NamespaceRole.Wan, WorldDefinition.PeerName);
        if (!o.Seen.Contains(peer) || o.Plan.Destination is not null) return null;
        if (o.Facts.RouteAt(peer) is { IsLocal: true }) return null;
        var wanted = (o.Definition?.World ?? new WorldDefinition()).InternetServer.Equals(o.Plan.Target);
        return new("no-such-address", $"The request reached the wan, but no interface there holds {o.Plan.Target}, so nothing answers it.",
            wanted ? new TraceFix($"(wan)$ ip addr add {o.Plan.Target}/32 dev lo",
                [new OperationRequest { Kind = "addAddress", Namespace = "wan", Link = "lo", Address = $"{o.Plan.Target}/32" }]) : null,
            [.. o.Facts.Routes.Where(r => r.Station == peer).Select(Said), .. DropsSaying(o, "IP_INADDRERRORS", "IP_INNOROUTES")]);
    }

    /// <summary>The reply came back by the way out, and the host's reverse-path filter refused it.</summary>
    private static TraceVerdictDraft? ReversePath(TraceObservation o)
    {
        if (o.Plan.Egress is not { } egress) return null;
        var back = o.Facts.RouteAt(InterfaceRef.Host(egress));
        var refused = back?.Error?.Contains("cross-device", StringComparison.OrdinalIgnoreCase) == true;
        var drops = DropsSaying(o, "IP_RPFILTER");
        if (!refused && drops.Count == 0) return null;
        var all = o.Facts.HostSysctls.GetValueOrDefault("net.ipv4.conf.all.rp_filter", "?");
        var own = o.Facts.HostSysctls.GetValueOrDefault($"net.ipv4.conf.{egress}.rp_filter", "?");
        return new("reverse-path",
            $"The host's reverse-path filter drops the reply from {o.Plan.Target} that comes in on {egress}: its route back to {o.Plan.Target} leaves by another interface, and the filter is strict.",
            HostFix(new OperationRequest { Kind = "setRpFilter", Namespace = "host", Link = egress, Mode = 2 }, $"echo 2 > /proc/sys/net/ipv4/conf/{egress}/rp_filter"),
            [.. back is null ? [] : new[] { Said(back) },
             new(TraceEvidence.Sysctl, InterfaceRef.Host(egress), $"net.ipv4.conf.all.rp_filter = {all}, net.ipv4.conf.{egress}.rp_filter = {own}"), .. drops]);
    }

    /// <summary>A drop the kernel reported for the probe that no check above explains: its reason is the cause.</summary>
    private static TraceVerdictDraft? KernelDrop(TraceObservation o) =>
        o.Facts.Drops.FirstOrDefault(d => d.Certain) is { } drop
            ? new("kernel-drop", $"The kernel dropped it: {drop.Reason} in {drop.Location}.", null, [Said(drop)])
            : null;

    /// <summary>What was asked, in a few words, for a verdict that has no cause.</summary>
    private static string Checked(TraceObservation o)
    {
        var facts = o.Facts;
        var parts = new List<string>
        {
            facts.Routes.Count == 0 ? "no routing decision could be asked" : $"the routing decisions ({string.Join("; ", facts.Routes.Select(r => r.Text))})",
            facts.Netfilter.Count == 0 ? "netfilter's trace (the probe met no rule)" : "netfilter's trace (no rule dropped it)",
            facts.Drops.Count == 0 ? "the kernel's drop reasons (none for this probe)" : "the kernel's drop reasons",
            facts.ConntrackAfter is null ? "conntrack (could not be read)" : "conntrack (no drops)",
            "links, addresses, forwarding, MASQUERADE and the guest's routes",
        };
        return string.Join(", ", parts.Concat(facts.Unavailable.Select(u => $"not asked: {u}")));
    }
}

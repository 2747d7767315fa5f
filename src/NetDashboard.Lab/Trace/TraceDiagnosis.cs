using System.Net;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Trace;

/// <summary>What a trace saw, with the kernel and guest state read when it was sent.</summary>
/// <param name="Guest">The source VM's own view (addresses, routes), null when it is not a VM or did not answer.</param>
/// <param name="VmRunning">False when the source VM's QEMU does not run.</param>
/// <param name="Seen">The stations (<see cref="TraceStation.Name"/>) the request was captured on.</param>
/// <param name="Replied">A reply came back to the sender's side.</param>
/// <param name="ReplySeen">The stations its reply was captured on.</param>
/// <param name="Kernel">What the kernel said of the probe (routing decisions, netfilter's trace, drop reasons).</param>
/// <param name="Protocol">What was sent; its size is checked against the MTUs on the way.</param>
public sealed record TraceObservation(
    TracePlan Plan,
    Topology Topology,
    LabDefinition? Definition,
    GuestState? Guest,
    bool VmRunning,
    IReadOnlySet<InterfaceRef> Seen,
    bool Replied,
    IReadOnlySet<InterfaceRef>? ReplySeen = null,
    KernelFacts? Kernel = null,
    TraceProtocol? Protocol = null)
{
    public KernelFacts Facts => Kernel ?? KernelFacts.None;
}

/// <summary>
/// Turns a probe that did not get through into one verdict: the first thing on the packet's way, in path order, that
/// stops it — and that agrees with where the packet was last seen (a rule is only blamed when the packet was not seen
/// past the place it would stop it). The kernel's own word comes first: a netfilter rule that dropped the probe is
/// proof, and so is a routing decision it refused; the state checks name causes in the tutorial's words, each with
/// the kernel's evidence quoted. When nothing explains it, the verdict says what was checked and that the cause is
/// unknown. Pure: every input is in <see cref="TraceObservation"/>.
/// </summary>
public static partial class TraceDiagnosis
{
    private sealed record Check(InterfaceRef? StopsBefore, Func<TraceVerdictDraft?> Find);

    private sealed record TraceVerdictDraft(string Reason, string Sentence, TraceFix? Fix, IReadOnlyList<TraceEvidence>? Evidence = null);

    public static TraceVerdict? Diagnose(TraceObservation o)
    {
        if (o.Replied) return null;
        var plan = o.Plan;
        var stations = plan.Stations;
        var host = o.Topology.Host;
        var who = plan.Source.Name;
        var lastSeen = stations.LastOrDefault(s => o.Seen.Contains(s.Name))?.Name;
        InterfaceRef? At(int index) => index < stations.Count ? stations[index].Name : null;
        var portStation = stations.FirstOrDefault(s => s.Role == NamespaceRole.Host);
        var bridge = plan.Bridge;
        var bridgeLink = bridge is null ? null : host.Link(bridge);
        var sourceAddress = SourceAddress(o);
        var gateway = Gateway(o);
        var routed = plan.Egress is not null || (bridgeLink?.Addresses.Any(a => a.Network.Contains(plan.Target)) != true);
        var first = At(0);
        var afterBridge = stations.FirstOrDefault(s => s.Role == NamespaceRole.Host && s.Interface == plan.Egress)?.Name;

        var checks = new List<Check>
        {
            new(first, () => plan.Source.IsVm && !o.VmRunning
                ? new("not-running", $"{who} is not running, so nothing was sent.", null)
                : null),
            new(first, () => o.Guest is { Known: true, LinkUp: false }
                ? new("link-down", $"{who}'s eth0 is down, so it sends nothing.", GuestFix(who, "ifconfig eth0 up"),
                    [new(TraceEvidence.Guest, null, $"({who})$ ip addr show dev eth0 → state DOWN")])
                : null),
            new(first, () => o.Guest is { Known: true } guest && guest.Addresses.Count == 0
                ? new("no-address", $"{who} has no address on eth0, so it cannot send an IP packet.",
                    WantedAddress(o) is { } wanted ? GuestFix(who, $"ifconfig eth0 {wanted}") : null,
                    [new(TraceEvidence.Guest, null, $"({who})$ ip addr show dev eth0 → no inet address")])
                : null),
            new(first, () => o.Guest is { Known: true } guest && routed && !guest.Addresses.Any(a => a.Network.Contains(plan.Target))
                             && !guest.Routes.Any(r => r.StartsWith("default", StringComparison.Ordinal))
                ? new("no-default-route", $"{who} has no default route, so it does not know where to send a packet for {plan.Target}.",
                    gateway is { } gw ? GuestFix(who, $"route add -net 0.0.0.0/0 gw {gw}") : null,
                    [new(TraceEvidence.Guest, null, $"({who})$ ip route → no default route ({string.Join("; ", guest.Routes)})")])
                : null),
            new(afterBridge, () => WrongNeighbour(o, gateway, bridgeLink)),
            // Proof, not inference: netfilter's trace saw a rule (or a chain's policy) drop the probe or its reply.
            new(null, () => FirewallDrop(o)),
            // Not bound to where the request was seen: the host answers ARP for br0's address on any port, so a request
            // can leak through a cable outside the bridge; its reply is routed to the bridge and never reaches the sender.
            new(portStation is { } p && o.Topology.Host.Link(p.Interface) is { AdminUp: true } ? null : At(1) ?? first, () => PortProblem(o, portStation)),
            new(bridge is null ? null : InterfaceRef.Host(bridge), () => bridgeLink is { AdminUp: false }
                ? new("bridge-down", $"{bridge} is down, so it forwards nothing between its ports.",
                    HostFix(new OperationRequest { Kind = "setLinkState", Namespace = "host", Link = bridge, Up = true }, $"ifconfig {bridge} up"),
                    [LinkState(bridgeLink)])
                : null),
            new(afterBridge, () => routed && bridgeLink is not null && gateway is not null && !bridgeLink.Addresses.Any(a => a.Address.Equals(gateway))
                ? new("no-gateway-address", $"{bridge} does not hold {gateway}, the gateway {who} sends to, so no one answers for it.",
                    GatewayFix(bridge!, gateway, sourceAddress),
                    [new(TraceEvidence.Link, InterfaceRef.Host(bridge!), $"{bridge} inet {(bridgeLink.Addresses.Count == 0 ? "none" : string.Join(", ", bridgeLink.Addresses))}")])
                : null),
            new(afterBridge, () => routed && !host.Forwarding
                ? new("forwarding-off", $"IP forwarding is off in the host, so the kernel does not route the packet from {bridge ?? "its port"} to {plan.Egress ?? WorldDefinition.UplinkName}.",
                    HostFix(new OperationRequest { Kind = "setForwarding", Namespace = "host", Enabled = true }, "echo 1 > /proc/sys/net/ipv4/ip_forward"),
                    [new(TraceEvidence.Sysctl, InterfaceRef.Host(bridge ?? WorldDefinition.UplinkName), "net.ipv4.ip_forward = 0"), .. ForwardRoute(o)])
                : null),
            new(afterBridge, () => routed ? UplinkDown(o) : null),
            new(afterBridge, () => routed ? BlockingRoute(o) : null),
            new(afterBridge, () => routed && TracePlan.RouteTo(host, plan.Target) is null
                ? new("no-route", $"The host has no route to {plan.Target}.",
                    HostFix(new OperationRequest { Kind = "addRoute", Namespace = "host", To = "default", Via = (o.Definition?.World ?? new WorldDefinition()).UplinkGateway.ToString() },
                        $"route add default gw {(o.Definition?.World ?? new WorldDefinition()).UplinkGateway}"), ForwardRoute(o))
                : null),
            new(afterBridge, () => routed ? ConntrackFull(o) : null),
            new(afterBridge, () => routed ? TooBig(o) : null),
            new(null, () => NoSuchAddress(o)),
            new(null, () => ReversePath(o)),
            // Without MASQUERADE the request leaves with its private source and arrives; the reply has no way back.
            new(null, () => routed && plan.Egress is not null && sourceAddress is not null && !Masqueraded(host, sourceAddress, plan.Egress)
                ? new("no-masquerade", $"No MASQUERADE rule matches {sourceAddress} going out of {plan.Egress}, so the packet leaves with its private source and the reply has no way back.",
                    MasqueradeFix(sourceAddress, o),
                    [new(TraceEvidence.Netfilter, InterfaceRef.Host(plan.Egress),
                        $"iptables -t nat -S POSTROUTING → no MASQUERADE rule for {sourceAddress.Address} out of {plan.Egress}{(host.NatRules.Count == 0 ? " (the chain is empty)" : $" (it holds: {string.Join("; ", host.NatRules.Select(r => r.Spec))})")}")])
                : null),
        };

        var seenIndex = lastSeen is { } last ? IndexOf(stations, last) : -1;
        foreach (var check in checks)
        {
            // A rule that stops the packet before a station it was seen at (or past) is not what stopped it.
            if (check.StopsBefore is { } before && IndexOf(stations, before) is var stop and >= 0 && seenIndex >= stop) continue;
            if (check.Find() is { } found)
                return new TraceVerdict(found.Reason, Stopped(o, lastSeen, found.Sentence), lastSeen, found.Fix, WithKernelWords(o, found.Evidence ?? []));
        }
        if (KernelDrop(o) is { } dropped)
            return new TraceVerdict(dropped.Reason, Stopped(o, lastSeen, dropped.Sentence), lastSeen, null, WithKernelWords(o, dropped.Evidence ?? []));
        return new TraceVerdict(TraceVerdict.Unknown, Stopped(o, lastSeen, $"Nothing the kernel said explains it, so the cause is unknown. Checked: {Checked(o)}."),
            lastSeen, null, WithKernelWords(o, []));
    }

    /// <summary>Where the packet was last seen, then why: the request, or when it arrived, its reply.</summary>
    private static string Stopped(TraceObservation o, InterfaceRef? lastSeen, string sentence)
    {
        var stations = o.Plan.Stations;
        if (lastSeen is null) return $"The packet was not seen on any interface. {sentence}";
        if (lastSeen != o.Plan.Destination) return $"The packet stopped after {lastSeen}. {sentence}";
        var replyLast = stations.FirstOrDefault(s => o.ReplySeen?.Contains(s.Name) == true)?.Name;
        return replyLast is null
            ? $"The request arrived ({lastSeen}); no reply was seen. {sentence}"
            : $"The request arrived ({lastSeen}); its reply was last seen on {replyLast}. {sentence}";
    }

    private static int IndexOf(IReadOnlyList<TraceStation> stations, InterfaceRef name)
    {
        for (var i = 0; i < stations.Count; i++)
            if (stations[i].Name == name) return i;
        return -1;
    }

    private static TraceVerdictDraft? PortProblem(TraceObservation o, TraceStation? port)
    {
        if (port is null || o.Plan.Bridge is not { } bridge || port.Interface == bridge) return null;
        var link = o.Topology.Host.Link(port.Interface);
        if (link is null)
            return new("no-port", $"{port.Interface} does not exist in the host{(o.Plan.Source.IsVm ? $" ({o.Plan.Source.Name}'s QEMU makes it when it starts)" : "")}.", null,
                [new(TraceEvidence.Link, port.Name, $"ip link show {port.Interface} → Device does not exist")]);
        if (!link.AdminUp)
            return new("tap-down", $"{port.Interface} is down, so the host never receives what {o.Plan.Source.Name} sends.",
                HostFix(new OperationRequest { Kind = "setLinkState", Namespace = "host", Link = port.Interface, Up = true }, $"ifconfig {port.Interface} up"),
                [LinkState(link)]);
        if (link.Master != bridge)
            return new("not-a-port", $"{port.Interface} is not a port of {bridge}, so {bridge}, where the host sends what is for {o.Plan.Source.Name}, does not reach it.",
                HostFix(new OperationRequest { Kind = "addBridgePort", Namespace = "host", Bridge = bridge, Link = port.Interface }, $"brctl addif {bridge} {port.Interface}"),
                [new(TraceEvidence.Link, port.Name, $"{port.Interface} master {link.Master ?? "none"}, not {bridge}")]);
        return null;
    }

    private static TraceEvidence LinkState(LinkState link) => new(TraceEvidence.Link, InterfaceRef.Host(link.Name), $"{link.Name} state {link.State}");

    private static InterfaceAddress? SourceAddress(TraceObservation o) =>
        o.Plan.Source.IsVm ? o.Guest?.Addresses.FirstOrDefault() ?? WantedVm(o)?.Address
        : o.Plan.Source == TraceSource.Pc ? (o.Definition?.World ?? new WorldDefinition()).PcAddress
        : null;

    private static IPAddress? Gateway(TraceObservation o)
    {
        if (o.Plan.Source.IsVm)
        {
            var route = o.Guest?.Routes.FirstOrDefault(r => r.StartsWith("default via ", StringComparison.Ordinal));
            if (route?.Split(' ') is [_, _, var via, ..] && IPAddress.TryParse(via, out var gw)) return gw;
            return WantedVm(o)?.Gateway;
        }
        return o.Plan.Source == TraceSource.Pc ? (o.Definition?.World ?? new WorldDefinition()).PcGateway : null;
    }

    private static VmDefinition? WantedVm(TraceObservation o) => o.Definition?.Vm(o.Plan.Source.Name);

    private static string? WantedAddress(TraceObservation o) => WantedVm(o)?.Address?.ToString();

    private static bool Masqueraded(NamespaceState host, InterfaceAddress source, string egress) =>
        host.NatRules.Any(rule => rule.IsMasquerade && rule.Chain == "POSTROUTING"
            && (rule.OutInterface is null || rule.OutInterface == egress)
            && (rule.Source is null || (Subnet.TryParse(rule.Source.Contains('/') ? rule.Source : $"{rule.Source}/32", out var s) && s.Contains(source.Address))));

    private static TraceFix GuestFix(string vm, string command) => TraceFix.Guest(vm, command);

    private static TraceFix HostFix(OperationRequest operation, string tutorial) => TraceFix.Host(operation, tutorial);

    private static TraceFix GatewayFix(string bridge, IPAddress gateway, InterfaceAddress? source)
    {
        var address = new InterfaceAddress(gateway, source?.PrefixLength ?? 24);
        return HostFix(new OperationRequest { Kind = "addAddress", Namespace = "host", Link = bridge, Address = address.ToString() }, $"ifconfig {bridge} {address}");
    }

    private static TraceFix MasqueradeFix(InterfaceAddress source, TraceObservation o)
    {
        var subnet = o.Definition?.Host.Masquerade.FirstOrDefault()?.Source.ToString() ?? source.Network.ToString();
        return HostFix(new OperationRequest { Kind = "addMasquerade", Namespace = "host", Source = subnet },
            $"iptables -t nat -A POSTROUTING -s {subnet} ! -d {subnet} -j MASQUERADE");
    }
}

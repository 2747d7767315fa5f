using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Lessons;

/// <summary>
/// The tutorial's four parts as lessons. Each starts from its lab file brought up as a lesson
/// (<see cref="LessonStart"/>): the world and the VMs exist, the host and the guests are not configured yet.
/// </summary>
public static class TutorialLessons
{
    public static IReadOnlyList<Lesson> All { get; } =
    [
        new("tap", "1. tap", "seed-tap.yaml",
            "QEMU made tap1 in the host when vm1 started. Give both ends of that cable an address and they can talk.",
            [
                AddressStep("tap1", "192.168.1.1/24", "The host's end of the cable gets 192.168.1.1/24 and comes up."),
                GuestStep("vm1", "192.168.1.2", null, "The guest's eth0 gets 192.168.1.2.", new LessonProbe("host", "192.168.1.2"))
                    with { Watch = [InterfaceRef.Host("tap1")] },
            ]),
        new("bridge", "2. bridge", "seed-bridge.yaml",
            "Two VMs with their own MACs, on tap0 and tap1. A bridge joins the taps like a switch joins cables.",
            [
                CreateBridgeStep(),
                PortStep("tap0"),
                PortStep("tap1"),
                UpStep(["br0", "tap0", "tap1"]),
                GuestStep("vm1", "192.168.1.10", null, "vm1's eth0 gets 192.168.1.10.", null),
                GuestStep("vm2", "192.168.1.11", null,
                    "vm2's eth0 gets 192.168.1.11; now the guests reach each other through br0. Select br0 on the graph: its MAC table "
                    + "shows vm1's MAC 52:54:98:76:54:30 learned on tap0 and vm2's :31 on tap1. Watch it: the ping crosses tap0 and tap1; "
                    + "br0 itself sees only what is broadcast or meant for the host (the ARP), not the guests' unicast.", new LessonProbe("vm1", "192.168.1.11"))
                    with { Watch = [InterfaceRef.Host("tap0"), InterfaceRef.Host("tap1"), InterfaceRef.Host("br0")] },
            ]),
        new("bridge-external", "3. bridged external", "seed-bridge-external.yaml",
            "The host's second NIC ens192 joins the bridge, so the guests are on the same LAN as the external PC 192.168.1.3.",
            [
                CreateBridgeStep(),
                PortStep("tap0"),
                PortStep("tap1"),
                PortStep("ens192"),
                UpStep(["br0", "tap0", "tap1"]),
                GuestStep("vm1", "192.168.1.10", null, "vm1's eth0 gets 192.168.1.10; it reaches the external PC through br0 and ens192: "
                    + "on ens192 the guest's own address 192.168.1.10 goes out, nothing rewritten.", new LessonProbe("vm1", "192.168.1.3"))
                    with { Watch = [InterfaceRef.Host("br0"), InterfaceRef.Host("ens192")] },
                GuestStep("vm2", "192.168.1.11", null, "vm2's eth0 gets 192.168.1.11.", new LessonProbe("vm2", "192.168.1.3")),
            ]),
        new("nat", "4. NAT", "seed-nat.yaml",
            "The host becomes the guests' router: br0 is their gateway, the host forwards, and MASQUERADE rewrites their source to the uplink's address.",
            [
                CreateBridgeStep(),
                PortStep("tap0"),
                PortStep("tap1"),
                UpStep(["br0", "tap0", "tap1"]),
                AddressStep("br0", "192.168.1.1/24", "br0 gets 192.168.1.1/24: the guests' gateway."),
                GuestStep("vm1", "192.168.1.10", null, "vm1's eth0 gets 192.168.1.10; it reaches its gateway.", new LessonProbe("vm1", "192.168.1.1")),
                GuestStep("vm2", "192.168.1.11", null, "vm2's eth0 gets 192.168.1.11.", new LessonProbe("vm2", "192.168.1.1")),
                new("Turn on IP forwarding", "The host passes packets between br0 and ens160.",
                    [new HostAction(new OperationRequest { Kind = "setForwarding", Enabled = true })],
                    t => t.Host.Forwarding),
                new("MASQUERADE the guests' subnet", "Packets from 192.168.1.0/24 leaving it get the host's uplink address as their source.",
                    [new HostAction(new OperationRequest { Kind = "addMasquerade", Source = "192.168.1.0/24" })],
                    t => t.Host.NatRules.Any(r => r.IsMasquerade && r.Source == "192.168.1.0/24")),
                new("Default route in the guests", "Each guest sends what is not on its LAN to 192.168.1.1; vm1 reaches the internet server. "
                    + "On tap0 and br0 the ping leaves from 192.168.1.10; on ens160 from 10.180.13.232: MASQUERADE rewrote it.",
                    [new GuestAction("vm1", "route add -net 0.0.0.0/0 gw 192.168.1.1"), new GuestAction("vm2", "route add -net 0.0.0.0/0 gw 192.168.1.1")],
                    Probe: new LessonProbe("vm1", "203.0.113.5")) { Watch = [InterfaceRef.Host("tap0"), InterfaceRef.Host("br0"), InterfaceRef.Host("ens160")] },
            ]),
    ];

    /// <summary>The lesson that goes with a lab file, by its file name.</summary>
    public static Lesson? ForLabFile(string? labFile) =>
        labFile is null ? null : All.FirstOrDefault(l => l.LabFile == Path.GetFileName(labFile));

    private static LessonStep CreateBridgeStep() =>
        new("Create the bridge br0", "A bridge is a switch inside the host.",
            [new HostAction(new OperationRequest { Kind = "createBridge", Bridge = "br0" })],
            t => t.Host.Link("br0")?.Kind == "bridge");

    private static LessonStep PortStep(string port) =>
        new($"Connect {port} to br0", $"{port} becomes a port of the bridge.",
            [new HostAction(new OperationRequest { Kind = "addBridgePort", Bridge = "br0", Link = port })],
            t => t.Host.Link(port)?.Master == "br0");

    private static LessonStep UpStep(IReadOnlyList<string> links) =>
        new($"Bring {string.Join(", ", links)} up", "A link that is down passes nothing.",
            links.Select(l => (LessonAction)new HostAction(new OperationRequest { Kind = "setLinkState", Link = l, Up = true })).ToList(),
            t => links.All(l => t.Host.Link(l)?.AdminUp == true));

    private static LessonStep AddressStep(string link, string address, string explanation) =>
        new($"Give {link} {address}", explanation,
            [
                new HostAction(new OperationRequest { Kind = "addAddress", Link = link, Address = address }),
                new HostAction(new OperationRequest { Kind = "setLinkState", Link = link, Up = true }),
            ],
            t => t.Host.Link(link) is { AdminUp: true } l && l.Addresses.Contains(InterfaceAddress.Parse(address)));

    private static LessonStep GuestStep(string vm, string address, string? gateway, string explanation, LessonProbe? probe) =>
        new($"({vm})$ ifconfig eth0 {address}", explanation,
            [new GuestAction(vm, $"ifconfig eth0 {address}"), .. gateway is null ? Array.Empty<LessonAction>() : [new GuestAction(vm, $"route add -net 0.0.0.0/0 gw {gateway}")]],
            Probe: probe);
}

/// <summary>A lab file brought up as a lesson's starting point: the world and the VMs, nothing configured.</summary>
public static class LessonStart
{
    public static LabDefinition From(LabDefinition lab) => lab with
    {
        Host = new HostDefinition(),
        Vms = lab.Vms.Select(vm => vm with { Address = null, Gateway = null }).ToList(),
    };
}

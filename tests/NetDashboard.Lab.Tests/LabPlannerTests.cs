using NetDashboard.Lab.Labs;
using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class LabPlannerTests
{
    private const string WebRoot = "/run/netdash/nat-pc/www";
    private const string HostNs = "netdash-nat-pc-host";
    private const string WanNs = "netdash-nat-pc-wan";
    private const string PcNs = "netdash-nat-pc-pc";

    private static readonly LabDefinition NatPc = LabFileReader.LoadFile(TestFiles.Lab("nat-pc.yaml"));

    private static Topology Empty(string lab) => new(lab, DateTimeOffset.UnixEpoch, []);

    private static LabPlan PlanFromNothing() => LabPlanner.Plan(NatPc, Empty(NatPc.Name), internetServerRunning: false, WebRoot);

    private static LinkState Link(string name, string kind, params string[] addresses) => new()
    {
        Name = name,
        Kind = kind,
        AdminUp = true,
        OperState = "UP",
        Addresses = [.. addresses.Select(InterfaceAddress.Parse)],
    };

    private static NamespaceState Namespace(string name, NamespaceRole role, LinkState[] links, RouteState[] routes,
        bool forwarding = false, NatRule[]? natRules = null) =>
        new(name, role, Exists: true, links, routes, forwarding, natRules ?? []);

    private static RouteState DefaultVia(string gateway, string device) => new("default", gateway, device, null, null);

    /// <summary>What the kernel holds once nat-pc is complete, written out by hand.</summary>
    private static Topology NatPcComplete(string? ens192Master = "br0") => new(NatPc.Name, DateTimeOffset.UnixEpoch,
    [
        Namespace(HostNs, NamespaceRole.Host,
            [
                Link("lo", "loopback", "127.0.0.1/8"),
                Link("ens160", "veth", "10.180.13.232/24"),
                Link("ens192", "veth") with { Master = ens192Master },
                Link("br0", "bridge", "192.168.1.1/24"),
            ],
            [DefaultVia("10.180.13.1", "ens160"), new("10.180.13.0/24", null, "ens160", "kernel", "link")],
            forwarding: true,
            natRules:
            [
                new("POSTROUTING", "192.168.1.0/24", "192.168.1.0/24", null, "MASQUERADE", "netdash:nat-pc",
                    "-A POSTROUTING -s 192.168.1.0/24 ! -d 192.168.1.0/24 -m comment --comment \"netdash:nat-pc\" -j MASQUERADE"),
            ]),
        Namespace(WanNs, NamespaceRole.Wan,
            [Link("lo", "loopback", "127.0.0.1/8", "203.0.113.5/32"), Link("eth0", "veth", "10.180.13.1/24")],
            []),
        Namespace(PcNs, NamespaceRole.Pc,
            [Link("lo", "loopback", "127.0.0.1/8"), Link("eth0", "veth", "192.168.1.3/24")],
            [DefaultVia("192.168.1.1", "eth0")]),
    ]);

    [Fact]
    public void Plan_NatPcFromNothing_StartsWithTheThreeNamespaces()
    {
        var plan = PlanFromNothing();

        Assert.Equal(
            [new CreateNamespace(HostNs), new CreateNamespace(WanNs), new CreateNamespace(PcNs)],
            plan.Operations.Take(3));
    }

    [Fact]
    public void Plan_NatPcFromNothing_BuildsTheWholeWorld()
    {
        var operations = PlanFromNothing().Operations;

        Assert.Contains(new CreateVethPair(HostNs, "ens160", WanNs, "eth0"), operations);
        Assert.Contains(new CreateVethPair(HostNs, "ens192", PcNs, "eth0"), operations);
        Assert.Contains(new CreateBridge(HostNs, "br0"), operations);
        Assert.Contains(new AddBridgePort(HostNs, "br0", "ens192"), operations);
        Assert.Contains(new AddAddress(HostNs, "br0", InterfaceAddress.Parse("192.168.1.1/24")), operations);
        Assert.Contains(new AddRoute(HostNs, Subnet.Parse("0.0.0.0/0"), IPAddress.Parse("10.180.13.1"), "ens160"), operations);
        Assert.Contains(new AddRoute(PcNs, Subnet.Parse("0.0.0.0/0"), IPAddress.Parse("192.168.1.1"), "eth0"), operations);
        Assert.Contains(new SetForwarding(HostNs, true), operations);
        Assert.Contains(new AddMasquerade(HostNs, Subnet.Parse("192.168.1.0/24"), null, "netdash:nat-pc"), operations);
        Assert.Contains(new StartInternetServer(WanNs, WebRoot), operations);
    }

    [Fact]
    public void Plan_NatPcFromNothing_NoOperationTwice()
    {
        var operations = PlanFromNothing().Operations;

        Assert.Equal(operations.Count, operations.Distinct().Count());
    }

    [Fact]
    public void Plan_NatPcFromNothing_EveryLinkMadeBeforeItIsUsed()
    {
        var operations = PlanFromNothing().Operations.ToList();
        int IndexOf(LabOperation op) => operations.IndexOf(op);

        var lanCable = IndexOf(new CreateVethPair(HostNs, "ens192", PcNs, "eth0"));
        var bridge = IndexOf(new CreateBridge(HostNs, "br0"));
        Assert.True(IndexOf(new CreateNamespace(PcNs)) < lanCable);
        Assert.True(lanCable < IndexOf(new AddBridgePort(HostNs, "br0", "ens192")));
        Assert.True(bridge < IndexOf(new AddBridgePort(HostNs, "br0", "ens192")));
        Assert.True(bridge < IndexOf(new AddAddress(HostNs, "br0", InterfaceAddress.Parse("192.168.1.1/24"))));
        Assert.True(bridge < IndexOf(new SetLinkState(HostNs, "br0", true)));
    }

    [Fact]
    public void Plan_NatPcFromNothing_NothingPending() => Assert.Empty(PlanFromNothing().Pending);

    [Fact]
    public void Plan_NatPcComplete_Empty()
    {
        var plan = LabPlanner.Plan(NatPc, NatPcComplete(), internetServerRunning: true, WebRoot);

        Assert.Empty(plan.Operations);
        Assert.Empty(plan.Pending);
    }

    [Fact]
    public void Plan_NatPcCompleteButServerStopped_OnlyStartsServer() =>
        Assert.Equal(
            [new StartInternetServer(WanNs, WebRoot)],
            LabPlanner.Plan(NatPc, NatPcComplete(), internetServerRunning: false, WebRoot).Operations);

    [Fact]
    public void Plan_BridgeExistsButLanNicHasNoMaster_OnlyAddsThePort() =>
        Assert.Equal(
            [new AddBridgePort(HostNs, "br0", "ens192")],
            LabPlanner.Plan(NatPc, NatPcComplete(ens192Master: null), internetServerRunning: true, WebRoot).Operations);

    [Fact]
    public void Plan_MasqueradeRuleOfAnotherLab_AddsOwnRule()
    {
        var actual = NatPcComplete();
        var host = actual.Host with
        {
            NatRules = [.. actual.Host.NatRules.Select(r => r with { Comment = "netdash:other" })],
        };
        var topology = actual with { Namespaces = [host, .. actual.Namespaces.Skip(1)] };

        Assert.Equal(
            [new AddMasquerade(HostNs, Subnet.Parse("192.168.1.0/24"), null, "netdash:nat-pc")],
            LabPlanner.Plan(NatPc, topology, internetServerRunning: true, WebRoot).Operations);
    }

    [Fact]
    public void Plan_VmTapsMissing_TapPortsPendingNotPlanned()
    {
        var lab = LabFileReader.LoadFile(TestFiles.Lab("seed-bridge.yaml"));

        var plan = LabPlanner.Plan(lab, Empty(lab.Name), internetServerRunning: false, WebRoot);

        Assert.Contains(plan.Pending, p => p.StartsWith("tap0 ", StringComparison.Ordinal));
        Assert.Contains(plan.Pending, p => p.StartsWith("tap1 ", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Operations, op => CommandBuilder.Build(op).Argv.Any(word => word is "tap0" or "tap1"));
        Assert.Contains(new CreateBridge(lab.Namespaces.Host, "br0"), plan.Operations);
    }

    [Fact]
    public void Plan_VmTapInterfaceMissing_InterfacePendingNotPlanned()
    {
        var lab = LabFileReader.LoadFile(TestFiles.Lab("seed-tap.yaml"));

        var plan = LabPlanner.Plan(lab, Empty(lab.Name), internetServerRunning: false, WebRoot);

        Assert.Contains(plan.Pending, p => p.StartsWith("tap1 ", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Operations, op => CommandBuilder.Build(op).Argv.Contains("tap1"));
    }

    [Fact]
    public void Plan_SameInput_SamePlan() =>
        Assert.Equal(PlanFromNothing().Operations, PlanFromNothing().Operations);
}

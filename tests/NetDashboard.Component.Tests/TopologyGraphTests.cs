using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using NetDashboard.Model;
using static NetDashboard.Component.Tests.LabFixtures;

namespace NetDashboard.Component.Tests;

public sealed class TopologyGraphTests
{
    private static GraphModel BuildNatPc(Topology? topology = null, LabDefinition? definition = null) =>
        TopologyGraph.Build(topology ?? NatPc(), definition, []);

    private static GraphNode Node(GraphModel graph, string id) => Assert.Single(graph.Nodes, n => n.Id == id);

    private static LabDefinition WithVm(string tap) => new()
    {
        Name = LabName,
        Vms = [new VmDefinition { Name = "vm1", Mac = MacAddress.Parse("52:54:00:12:34:56"), Tap = tap }],
    };

    [Fact]
    public void Build_NatPcLab_HasOneBoxPerNamespace()
    {
        var graph = BuildNatPc();

        var boxes = graph.Nodes.Where(n => n.Kind == "namespace").Select(n => n.Id).Order().ToList();
        Assert.Equal(["ns:host", "ns:pc", "ns:wan"], boxes);
        Assert.All(graph.Nodes.Where(n => n.Kind == "namespace"), n => Assert.Null(n.Parent));
    }

    [Fact]
    public void Build_NatPcHost_RouterBetweenBr0AndEns160CarriesForwardingAndNat()
    {
        var graph = BuildNatPc();

        var router = Node(graph, "router");
        Assert.Equal("router", router.Kind);
        Assert.Equal("ns:host", router.Parent);
        Assert.Equal("on", router.State);
        Assert.Contains("forwarding on", router.Label);
        Assert.Contains("MASQUERADE 192.168.1.0/24", router.Label);
        var routed = graph.Edges.Where(e => e.Kind == "route").Select(e => e.Source).Order().ToList();
        Assert.Equal(["link:host:br0", "link:host:ens160"], routed);
    }

    [Fact]
    public void Build_PortDown_MemberEdgeIsDown()
    {
        var graph = BuildNatPc(NatPc(Host(true, Link("tap0", "tun", up: false, master: "br0"))));

        Assert.Equal("down", Assert.Single(graph.Edges, e => e.Id == "member:host:tap0").State);
        Assert.Equal("up", Assert.Single(graph.Edges, e => e.Id == "member:host:ens192").State);
    }

    [Fact]
    public void Build_NatPcBridge_IsBridgeNodeUpInsideHost()
    {
        var br0 = Node(BuildNatPc(), "link:host:br0");

        Assert.Equal("bridge", br0.Kind);
        Assert.Equal("up", br0.State);
        Assert.Equal("ns:host", br0.Parent);
        Assert.Contains("192.168.1.1/24", br0.Label);
    }

    [Fact]
    public void Build_Loopback_HasNoNode()
    {
        var graph = BuildNatPc();

        Assert.DoesNotContain(graph.Nodes, n => n.Id.EndsWith(":lo", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_BridgePort_HasMemberEdgeToItsBridge()
    {
        var edge = Assert.Single(BuildNatPc().Edges, e => e.Id == "member:host:ens192");

        Assert.Equal("link:host:ens192", edge.Source);
        Assert.Equal("link:host:br0", edge.Target);
        Assert.Equal("member", edge.Kind);
    }

    [Fact]
    public void Build_NatPcCabling_HasCableEdgesToWanAndPc()
    {
        var cables = BuildNatPc().Edges.Where(e => e.Kind == "cable").Select(e => (e.Source, e.Target)).ToList();

        Assert.Equal(2, cables.Count);
        Assert.Contains(("link:host:ens160", "link:wan:eth0"), cables);
        Assert.Contains(("link:host:ens192", "link:pc:eth0"), cables);
    }

    [Fact]
    public void Build_WanAnswersForServerAddress_HasServerNodeUpInWan()
    {
        var server = Node(BuildNatPc(), TopologyGraph.ServerId);

        Assert.Equal("server", server.Kind);
        Assert.Equal("ns:wan", server.Parent);
        Assert.Equal("up", server.State);
        Assert.Contains("203.0.113.5", server.Label);
    }

    [Fact]
    public void Build_HostWithForwardingAndMasquerade_LabelNamesBoth()
    {
        var host = Node(BuildNatPc(), "ns:host");

        Assert.Contains("forwarding on", host.Label);
        Assert.Contains("NAT: MASQUERADE 192.168.1.0/24", host.Label);
    }

    [Fact]
    public void Build_AdminUpWithoutCarrier_StateIsNoCarrier()
    {
        var graph = BuildNatPc(NatPc(Host(true, Link("veth9", "veth", up: true, noCarrier: true))));

        Assert.Equal("nocarrier", Node(graph, "link:host:veth9").State);
    }

    [Fact]
    public void Build_AdminDown_StateIsDown()
    {
        var graph = BuildNatPc(NatPc(Host(true, Link("veth9", "veth", up: false, noCarrier: true))));

        Assert.Equal("down", Node(graph, "link:host:veth9").State);
    }

    [Fact]
    public void Build_VmWhoseTapExists_HasVmNodeAndEdgeToTap()
    {
        var graph = BuildNatPc(NatPc(Host(true, Link("tap0", "tun", master: "br0"))), WithVm("tap0"));

        var vm = Node(graph, "vm:vm1");
        Assert.Equal("vm", vm.Kind);
        Assert.Equal("stopped", vm.State);
        var edge = Assert.Single(graph.Edges, e => e.Id == "vmtap:vm1");
        Assert.Equal("vm:vm1", edge.Source);
        Assert.Equal("link:host:tap0", edge.Target);
        Assert.Equal("vm", edge.Kind);
    }

    [Fact]
    public void Build_VmWhoseTapIsMissing_HasVmNodeButNoEdge()
    {
        var graph = BuildNatPc(definition: WithVm("tap0"));

        Node(graph, "vm:vm1");
        Assert.DoesNotContain(graph.Edges, e => e.Kind == "vm" || e.Target == "link:host:tap0");
    }

    [Fact]
    public void Build_VmStatusRunning_VmNodeStateIsRunning()
    {
        var definition = WithVm("tap0");
        var status = new VmStatus(LabName, "vm1", VmState.Running, 42, "52:54:00:12:34:56", "tap0");

        var graph = TopologyGraph.Build(NatPc(), definition, [status]);

        Assert.Equal("running", Node(graph, "vm:vm1").State);
    }

    [Fact]
    public void Build_MissingPcNamespace_HasNoPcBoxAndNoPcCable()
    {
        var topology = new Topology(LabName, DateTimeOffset.UnixEpoch,
            [Host(), Wan(), NamespaceState.Missing(new LabNamespaces(LabName).Pc, NamespaceRole.Pc)]);

        var graph = BuildNatPc(topology);

        Assert.DoesNotContain(graph.Nodes, n => n.Id == "ns:pc" || n.Parent == "ns:pc");
        Assert.DoesNotContain(graph.Edges, e => e.Target.StartsWith("link:pc:", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_AnotherLinkAdded_ExistingPositionsUnchanged()
    {
        var before = BuildNatPc();
        var after = BuildNatPc(NatPc(Host(true, Link("tap0", "tun", master: "br0"), Link("veth7", "veth"), Link("br1", "bridge"))));

        foreach (var id in new[] { "link:host:br0", "link:host:ens160", "link:host:ens192", "link:wan:eth0", "link:pc:eth0", TopologyGraph.ServerId })
        {
            var (old, now) = (Node(before, id), Node(after, id));
            Assert.Equal((old.X, old.Y), (now.X, now.Y));
        }
    }
}

using Bunit;
using MudBlazor.Services;
using NetDashboard.Components.Controls;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Component.Tests;

/// <summary>This host's graph and inspector, from an observation written as the observer returns it.</summary>
public sealed class HostGraphTests : BunitContext, IAsyncLifetime
{
    private const ulong Target = 4026532300, Container = 4026532400, Empty = 4026532500;

    public HostGraphTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's KeyInterceptorService (used by MudChip) is only IAsyncDisposable, so the container must be disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    // A Proxmox-style host: tap100i0 held by QEMU in fwbr100i0, fwpr100p0 ↔ fwln100i0 inside, ct0 ↔ a container's eth0.
    private static ObservedHost Proxmox() => new("netdash-x-host", DateTimeOffset.UnixEpoch,
    [
        new ObservedNamespace(Target, "netdash-x-host", true, ["qemu-system-x86 812"],
        [
            new ObservedLink(1, "lo", "loopback", null, 65536, "UNKNOWN", null, ["127.0.0.1/8"]),
            new ObservedLink(2, "vmbr0", "bridge", "aa:00:00:00:00:01", 1500, "UP", null, ["10.99.1.1/24"]),
            new ObservedLink(3, "fwbr100i0", "bridge", "aa:00:00:00:00:02", 1500, "UP", null, []),
            new ObservedLink(4, "fwpr100p0", "veth", "aa:00:00:00:00:03", 1500, "UP", "vmbr0", [], Target, "fwln100i0"),
            new ObservedLink(5, "fwln100i0", "veth", "aa:00:00:00:00:04", 1500, "UP", "fwbr100i0", [], Target, "fwpr100p0"),
            new ObservedLink(6, "tap100i0", "tun", "aa:00:00:00:00:05", 1500, "UP", "fwbr100i0", [], Holder: new TapHolder(812, "qemu-system-x86", "web100")),
            new ObservedLink(7, "ct0", "veth", "aa:00:00:00:00:06", 1500, "UP", "vmbr0", [], Container, "eth0"),
        ], [new RouteState("default", "10.99.1.2", "vmbr0", null, null)], ["100: from 10.99.1.0/24 lookup 100"], true, ["ip filter FORWARD"]),
        new ObservedNamespace(Container, null, false, [],
            [new ObservedLink(2, "eth0", "veth", "aa:00:00:00:00:07", 1500, "UP", null, ["10.99.1.2/24"], Target, "ct0")], [], [], false, []),
        new ObservedNamespace(Empty, "netdash-x-pc", false, [], [new ObservedLink(1, "lo", "loopback", null, 65536, "DOWN", null, [])], [], [], false, []),
    ], [new ObservedStack("proxmox", "Proxmox: vmbr0, VM 100 (tap100i0, web100)", Target, ["vmbr0", "tap100i0"])], 12);

    [Fact]
    public void Build_ProxmoxHost_ABoxPerNamespaceLinksInsideAndNoLoopback()
    {
        var graph = HostGraph.Build(Proxmox());

        Assert.Equal([$"hns:{Target}", $"hns:{Container}", $"hns:{Empty}"], graph.Nodes.Where(n => n.Kind == "namespace").Select(n => n.Id));
        Assert.DoesNotContain(graph.Nodes, n => n.Id.EndsWith(":lo", StringComparison.Ordinal));
        Assert.Equal($"hns:{Container}", Assert.Single(graph.Nodes, n => n.Id == $"hlink:{Container}:eth0").Parent);
        Assert.Contains("Proxmox: vmbr0, VM 100 (tap100i0, web100)", graph.Nodes.Single(n => n.Id == $"hns:{Target}").Label);
    }

    [Fact]
    public void Build_ProxmoxHost_TheTapsQemuBesideItPortsJoinedToBridgesAndEachVethPairOnce()
    {
        var graph = HostGraph.Build(Proxmox());

        var guest = Assert.Single(graph.Nodes, n => n.Kind == "vm");
        Assert.Equal(($"guest:{Target}:tap100i0", "web100\nqemu-system-x86 812"), (guest.Id, guest.Label));
        Assert.Equal(guest.Y, graph.Nodes.Single(n => n.Id == $"hlink:{Target}:tap100i0").Y);
        string Edge(string kind, string from, string to) => Assert.Single(graph.Edges, e => e.Kind == kind && e.Source == from && e.Target == to).Id;
        Edge("vm", guest.Id, $"hlink:{Target}:tap100i0");
        Edge("member", $"hlink:{Target}:tap100i0", $"hlink:{Target}:fwbr100i0");
        Edge("member", $"hlink:{Target}:ct0", $"hlink:{Target}:vmbr0");
        Assert.Single(graph.Edges, e => e.Kind == "cable" && new[] { e.Source, e.Target }.Order().SequenceEqual(new[] { $"hlink:{Container}:eth0", $"hlink:{Target}:ct0" }.Order()));
        Assert.Single(graph.Edges, e => e.Kind == "cable" && e.Id.Contains("fw", StringComparison.Ordinal));
        Assert.Equal(graph.Edges.Count, graph.Edges.Select(e => e.Id).Distinct().Count());
    }

    [Theory]
    [InlineData("hns:4026532300", HostElementKind.Namespace, null)]
    [InlineData("hlink:4026532300:tap100i0", HostElementKind.Link, "tap100i0")]
    [InlineData("guest:4026532300:tap100i0", HostElementKind.Guest, "tap100i0")]
    public void ElementId_ParsedAndWrittenInOnePlace_RoundTrips(string text, HostElementKind kind, string? name)
    {
        var id = HostElementId.Parse(text);

        Assert.Equal((kind, Target, name), (id!.Kind, id.Namespace, id.Name));
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("hns:-1")]
    [InlineData("hns:1:2")]
    [InlineData("hlink:12")]
    [InlineData("link:host:br0")]
    public void ElementId_NotOneOfThisHosts_Null(string? text) => Assert.Null(HostElementId.Parse(text));

    [Fact]
    public void Inspector_TapSelected_ShowsItsHolderAndRoutesThroughIt()
    {
        var cut = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hlink:{Target}:tap100i0"));

        Assert.Equal("qemu-system-x86 (pid 812), guest web100", cut.Find("[data-testid=tap-holder]").TextContent);
        Assert.Equal("none", cut.Find("[data-testid=link-routes]").TextContent);
    }

    [Fact]
    public void Inspector_VethWhosePeerIsInANamelessNamespace_NamesItByInode()
    {
        var cut = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hlink:{Target}:ct0"));

        Assert.Equal($"eth0 in net:[{Container}]", cut.Find("[data-testid=veth-peer]").TextContent);
    }

    [Fact]
    public void Inspector_NothingSelected_TheObservedNamespacesRoutesRulesAndChains()
    {
        var cut = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, null));

        Assert.Equal("default via 10.99.1.2 dev vmbr0", cut.Find("[data-testid=observed-routes]").TextContent);
        Assert.Equal("100: from 10.99.1.0/24 lookup 100", cut.Find("[data-testid=observed-rules]").TextContent);
        Assert.Equal("ip filter FORWARD", cut.Find("[data-testid=observed-chains]").TextContent);
        Assert.Empty(cut.FindAll("button"));
    }

    [Theory]
    [InlineData("10.99.1.2", new[] { "hlink:4026532400:eth0" })]
    [InlineData("WEB100", new[] { "guest:4026532300:tap100i0", "hns:4026532300" })]
    [InlineData("fw up", new[] { "hlink:4026532300:fwbr100i0", "hlink:4026532300:fwpr100p0", "hlink:4026532300:fwln100i0" })]
    [InlineData("nosuch", new string[0])]
    public void Matching_EveryWordInTheLabelOrId_NamespacesLast(string query, string[] ids)
    {
        var found = HostGraph.Matching(HostGraph.Build(Proxmox()), query).Select(n => n.Id).ToList();

        Assert.Equal(ids.Order(), found.Order());
        Assert.True(found.SkipWhile(id => !id.StartsWith("hns:", StringComparison.Ordinal)).All(id => id.StartsWith("hns:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Matching_EmptyQuery_EveryElement()
    {
        var graph = HostGraph.Build(Proxmox());

        Assert.Equal(graph.Nodes.Count, HostGraph.Matching(graph, "  ").Count);
    }

    // A host of many namespaces (bench/observe-scale.sh's shape): each container-like namespace joined by a veth to br0.
    private static ObservedHost Many(int namespaces)
    {
        var target = new ObservedNamespace(Target, "netdash-x-host", true, [],
        [
            new ObservedLink(2, "br0", "bridge", "aa:00:00:00:00:01", 1500, "UP", null, ["10.0.0.1/16"]),
            .. Enumerable.Range(0, namespaces - 1).Select(i => new ObservedLink(10 + i, $"v{i}", "veth", null, 1500, "UP", "br0", [], (ulong)(5000 + i), "eth0")),
        ], [], [], true, []);
        var others = Enumerable.Range(0, namespaces - 1).Select(i => new ObservedNamespace((ulong)(5000 + i), $"netdash-x-n{i:000}", false, [],
            [new ObservedLink(2, "eth0", "veth", null, 1500, "UP", null, [$"10.0.{i / 250}.{i % 250 + 2}/16"], Target, $"v{i}")], [], [], false, []));
        return new ObservedHost("netdash-x-host", DateTimeOffset.UnixEpoch, [target, .. others], [], 5);
    }

    [Fact]
    public void Build_HostOfManyNamespaces_EachButTheObservedIsOneBoxAndItsVethEndsThere()
    {
        var graph = HostGraph.Build(Many(100));

        var groups = graph.Nodes.Where(n => n.Kind == "group").ToList();
        Assert.Equal(99, groups.Count);
        Assert.Equal("netdash-x-n007\n1 link · select to open", groups.Single(n => n.Id == "hns:5007").Label);
        Assert.DoesNotContain(graph.Nodes, n => n.Id.StartsWith("hlink:5007:", StringComparison.Ordinal));
        Assert.Equal(("hlink:4026532300:v7", "hns:5007"), graph.Edges.Where(e => e.Id == "veth:5007:eth0" || e.Id == "veth:4026532300:v7")
            .Select(e => (e.Source, e.Target)).Select(p => p.Source.StartsWith("hns:", StringComparison.Ordinal) ? (p.Target, p.Source) : p).Single());
        // A hundred boxes in rows of five below the observed namespace, whose 99 veths stand in columns of eight.
        Assert.Equal(4, groups.Max(n => n.X) - groups.Min(n => n.X));
        var observed = graph.Nodes.Where(n => n.Parent == $"hns:{Target}").ToList();
        Assert.True(groups.Min(n => n.Y) > observed.Max(n => n.Y), "the boxes are below the observed namespace");
        Assert.Equal(7, observed.Max(n => n.Y));
    }

    [Fact]
    public void Build_ManyNamespacesOneOpened_ThatOneDrawnWholeTheSearchSeesEverything()
    {
        var host = Many(100);

        var graph = HostGraph.Build(host, new HashSet<ulong> { 5007 });
        var everything = HostGraph.Build(host, collapse: false);

        Assert.Equal("namespace", graph.Nodes.Single(n => n.Id == "hns:5007").Kind);
        Assert.Contains(graph.Edges, e => new[] { e.Source, e.Target }.Order().SequenceEqual(new[] { "hlink:4026532300:v7", "hlink:5007:eth0" }.Order()));
        Assert.Equal(98, graph.Nodes.Count(n => n.Kind == "group"));
        Assert.Equal(["hlink:5042:eth0"], HostGraph.Matching(everything, "10.0.0.44/16").Select(n => n.Id));
        Assert.DoesNotContain(HostGraph.Build(Proxmox()).Nodes, n => n.Kind == "group");
    }

    [Fact]
    public void Inspector_LinkSelected_ItsCaptureButtonNamesTheInterfaceAndIsOffWhileCaptured()
    {
        HostInterface? asked = null;
        var cut = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hlink:{Target}:vmbr0")
            .Add(i => i.OnCapture, (HostInterface at) => asked = at));

        cut.Find("[data-testid=capture-link]").Click();
        cut.Render(p => p.Add(i => i.Capturing, new[] { new HostInterface(Target, "vmbr0") }));

        Assert.Equal(new HostInterface(Target, "vmbr0"), asked);
        Assert.True(cut.Find("[data-testid=capture-link]").HasAttribute("disabled"));
    }

    [Fact]
    public void Inspector_BridgeWithItsDetails_ItsMacTableAndOnlyItsNeighboursAndTheNamespacesConnections()
    {
        var details = new HostDetails(Target, "vmbr0", ["10.99.1.2 dev vmbr0 lladdr aa:00:00:00:00:07 REACHABLE", "10.9.9.9 dev fwbr100i0 FAILED"],
            ["aa:00:00:00:00:07 dev ct0 master vmbr0"], ["icmp 1 29 src=10.99.1.2 dst=10.99.1.1 type=8 code=0 id=7"], ["conntrack: can't open handler"]);

        var bridge = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hlink:{Target}:vmbr0").Add(i => i.Details, details));
        var ns = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hns:{Target}").Add(i => i.Details, details));
        var other = Render<HostInspector>(p => p.Add(i => i.Host, Proxmox()).Add(i => i.Selected, $"hns:{Container}").Add(i => i.Details, details));

        Assert.Equal("aa:00:00:00:00:07 dev ct0 master vmbr0", bridge.Find("[data-testid=mac-table]").TextContent);
        Assert.Equal("10.99.1.2 dev vmbr0 lladdr aa:00:00:00:00:07 REACHABLE", bridge.Find("[data-testid=link-neighbours]").TextContent);
        Assert.Equal("icmp 1 29 src=10.99.1.2 dst=10.99.1.1 type=8 code=0 id=7", ns.Find("[data-testid=observed-connections]").TextContent);
        Assert.Contains("Not read: conntrack: can't open handler", ns.Markup);
        // Another namespace's details are not shown as this one's.
        Assert.Empty(other.FindAll("[data-testid=observed-connections]"));
    }
}

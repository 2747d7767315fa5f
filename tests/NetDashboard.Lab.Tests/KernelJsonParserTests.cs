using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

/// <summary>Parsing what a real kernel printed (Fixtures/, captured from a lab's host and wan namespaces).</summary>
public sealed class KernelJsonParserTests
{
    private static IReadOnlyList<LinkState> HostLinks() =>
        KernelJsonParser.ParseLinks(TestFiles.Fixture("ip-addr-host.json"), TestFiles.Fixture("bridge-link-host.json"));

    private static LinkState HostLink(string name) => Assert.Single(HostLinks(), l => l.Name == name);

    [Fact]
    public void ParseLinks_HostFixture_EveryLinkInKernelOrder() =>
        Assert.Equal(["lo", "ens160", "br0", "tap0"], HostLinks().Select(l => l.Name));

    [Fact]
    public void ParseLinks_Loopback_UpWithIpv4LoopbackAddressOnly()
    {
        var lo = HostLink("lo");

        Assert.Equal("loopback", lo.Kind);
        Assert.True(lo.AdminUp);
        Assert.False(lo.NoCarrier);
        Assert.Equal("UP", lo.State);
        Assert.Equal(1, lo.Index);
        Assert.Equal(65536, lo.Mtu);
        Assert.Equal([InterfaceAddress.Parse("127.0.0.1/8")], lo.Addresses);
    }

    [Fact]
    public void ParseLinks_UplinkWithoutPeerCarrier_AdminUpButNoCarrier()
    {
        var ens160 = HostLink("ens160");

        Assert.Equal("veth", ens160.Kind);
        Assert.True(ens160.AdminUp);
        Assert.True(ens160.NoCarrier);
        Assert.Equal("NO-CARRIER", ens160.State);
        Assert.Equal("DOWN", ens160.OperState);
        Assert.Equal("3e:64:1a:d4:93:6d", ens160.Mac);
        Assert.Null(ens160.Master);
        Assert.Equal([InterfaceAddress.Parse("10.180.13.232/24")], ens160.Addresses);
    }

    [Fact]
    public void ParseLinks_BridgeNotUp_KindBridgeAndDown()
    {
        var br0 = HostLink("br0");

        Assert.Equal("bridge", br0.Kind);
        Assert.False(br0.AdminUp);
        Assert.Equal("DOWN", br0.State);
        Assert.Empty(br0.Addresses);
        Assert.Null(br0.PortState);
    }

    [Fact]
    public void ParseLinks_TapInBridge_MasterAndPortStateFromBridgeJson()
    {
        var tap0 = HostLink("tap0");

        Assert.Equal("tun", tap0.Kind);
        Assert.Equal("br0", tap0.Master);
        Assert.Equal("disabled", tap0.PortState);
        Assert.Equal("DOWN", tap0.State);
    }

    [Fact]
    public void ParseLinks_WithoutBridgeJson_NoPortStates()
    {
        var links = KernelJsonParser.ParseLinks(TestFiles.Fixture("ip-addr-host.json"));

        Assert.All(links, l => Assert.Null(l.PortState));
        Assert.Equal("br0", Assert.Single(links, l => l.Name == "tap0").Master);
    }

    [Fact]
    public void ParseLinks_WanFixture_LoopbackDownAndPeerWithoutAddress()
    {
        var links = KernelJsonParser.ParseLinks(TestFiles.Fixture("ip-addr-wan.json"));

        var lo = Assert.Single(links, l => l.Name == "lo");
        var eth0 = Assert.Single(links, l => l.Name == "eth0");
        Assert.Equal("DOWN", lo.State);
        Assert.Equal("veth", eth0.Kind);
        Assert.Equal("DOWN", eth0.State);
        Assert.Empty(eth0.Addresses);
    }

    [Fact]
    public void ParseLinks_SameJsonTwice_EqualLinks() =>
        Assert.Equal(HostLinks(), HostLinks());

    [Fact]
    public void ParseRoutes_HostFixture_DefaultViaUplinkGateway()
    {
        var routes = KernelJsonParser.ParseRoutes(TestFiles.Fixture("ip-route-host.json"));

        Assert.Equal(new RouteState("default", "10.180.13.1", "ens160", null, null), routes[0]);
    }

    [Fact]
    public void ParseRoutes_HostFixture_ConnectedRouteWithoutGateway()
    {
        var routes = KernelJsonParser.ParseRoutes(TestFiles.Fixture("ip-route-host.json"));

        Assert.Equal(2, routes.Count);
        Assert.Equal(new RouteState("10.180.13.0/24", null, "ens160", "kernel", "link"), routes[1]);
    }

    [Fact]
    public void ParseNatRules_HostFixture_MasqueradeRuleAndNoPolicyLine()
    {
        var rule = Assert.Single(KernelJsonParser.ParseNatRules(TestFiles.Fixture("iptables-nat-host.txt")));

        Assert.Equal("POSTROUTING", rule.Chain);
        Assert.Equal("192.168.1.0/24", rule.Source);
        Assert.Equal("192.168.1.0/24", rule.NotDestination);
        Assert.Null(rule.OutInterface);
        Assert.Equal("MASQUERADE", rule.Target);
        Assert.True(rule.IsMasquerade);
        Assert.Equal("netdash:exp", rule.Comment);
        Assert.Equal("-A POSTROUTING -s 192.168.1.0/24 ! -d 192.168.1.0/24 -m comment --comment \"netdash:exp\" -j MASQUERADE", rule.Spec);
    }

    [Fact]
    public void ParseNatRules_OutInterface_Read()
    {
        var rule = Assert.Single(KernelJsonParser.ParseNatRules("-A POSTROUTING -s 10.0.0.0/8 -o ens160 -j MASQUERADE\n"));

        Assert.Equal("10.0.0.0/8", rule.Source);
        Assert.Equal("ens160", rule.OutInterface);
        Assert.Null(rule.NotDestination);
        Assert.Null(rule.Comment);
    }

    [Fact]
    public void ParseNatRules_NegatedSource_NotTakenAsSource()
    {
        var rule = Assert.Single(KernelJsonParser.ParseNatRules("-A POSTROUTING ! -s 10.0.0.0/8 -j SNAT --to-source 10.180.13.232"));

        Assert.Null(rule.Source);
        Assert.Equal("SNAT", rule.Target);
        Assert.False(rule.IsMasquerade);
    }

    [Fact]
    public void ParseNatRules_CommentWithSpaces_KeptWhole()
    {
        var rule = Assert.Single(KernelJsonParser.ParseNatRules("-A POSTROUTING -s 192.168.1.0/24 -m comment --comment \"made by hand\" -j MASQUERADE"));

        Assert.Equal("made by hand", rule.Comment);
        Assert.Equal("MASQUERADE", rule.Target);
    }

    [Fact]
    public void ParseNatRules_PolicyOnly_Empty() => Assert.Empty(KernelJsonParser.ParseNatRules("-P POSTROUTING ACCEPT\n"));

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("[]")]
    public void ParseLinks_EmptyOutput_Empty(string output) => Assert.Empty(KernelJsonParser.ParseLinks(output, output));

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("[]")]
    public void ParseRoutes_EmptyOutput_Empty(string output) => Assert.Empty(KernelJsonParser.ParseRoutes(output));

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public void ParseNatRules_EmptyOutput_Empty(string output) => Assert.Empty(KernelJsonParser.ParseNatRules(output));

    [Fact]
    public void ParseLinkPackets_RecordedHostNamespace_SumsReceivedAndSentPerInterface()
    {
        var packets = KernelJsonParser.ParseLinkPackets(TestFiles.Fixture("ip-link-stats-host.json"));

        Assert.Equal(new Dictionary<string, long> { ["lo"] = 0, ["ens160"] = 150, ["ens192"] = 40, ["br0"] = 137, ["tap0"] = 149, ["tap1"] = 48 }, packets);
    }

    [Fact]
    public void ParseLinkPackets_LinkWithoutStatistics_IsLeftOut() =>
        Assert.Empty(KernelJsonParser.ParseLinkPackets("""[{"ifindex":1,"ifname":"lo"}]"""));

    [Fact]
    public void ParseLinks_NameWithRawControlCharactersAsIproute2WritesIt_ReadWithTheNameIntact()
    {
        // Recorded from `ip -j addr show` after `ip link add name $'\e]0;PWN\a' type bridge`: the bytes are raw.
        var json = "[{\"ifindex\":2,\"ifname\":\"\u001b]0;PWN\u0007\",\"flags\":[\"BROADCAST\",\"MULTICAST\"],\"mtu\":1500,\"operstate\":\"DOWN\",\"link_type\":\"ether\",\"address\":\"aa:bb:cc:dd:ee:ff\",\"addr_info\":[]}]";

        var link = Assert.Single(KernelJsonParser.ParseLinks(json));

        Assert.Equal("\u001b]0;PWN\u0007", link.Name);
    }

    [Theory]
    [InlineData("[\"a\\\"\u0001\"]", "[\"a\\\"\\u0001\"]")]
    [InlineData("[\n\"x\"\n]", "[\n\"x\"\n]")]
    public void Escaped_ControlCharactersOnlyInsideStrings(string json, string expected) => Assert.Equal(expected, KernelJsonParser.Escaped(json));
}

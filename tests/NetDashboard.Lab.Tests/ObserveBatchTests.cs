using NetDashboard.Lab.Observe;

namespace NetDashboard.Lab.Tests;

/// <summary>One namespace read by one ip batch (links, routes, rules, netconf, netns ids), as recorded from `ip -j -d -batch -`.</summary>
public sealed class ObserveBatchTests
{
    private const string Links = """[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},{"ifindex":5,"link_index":4,"link_netnsid":0,"ifname":"ct0","flags":["BROADCAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","link_type":"ether","address":"aa:00:00:00:00:06","master":"vmbr0","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge"},"addr_info":[]}]""";
    private const string Routes = """[{"type":"unicast","dst":"default","gateway":"10.99.1.2","dev":"vmbr0","table":"100","flags":[]},{"type":"blackhole","dst":"10.9.0.0/16","flags":[]}]""";
    private const string Rules = """[{"priority":0,"src":"all","table":"local","protocol":"kernel"},{"priority":32766,"src":"all","table":"main","protocol":"kernel"}]""";
    private const string Netconf = """[{"family":"inet","interface":"lo","forwarding":false},{"family":"inet","interface":"all","forwarding":true,"rp_filter":"off"},{"family":"inet6","interface":"all","forwarding":false}]""";
    private const string Ids = """[{"nsid":0,"name":"netdash-x-pc"},{"nsid":1}]""";

    [Fact]
    public void Parse_AllFiveLines_LinksRoutesRulesForwardingAndIds()
    {
        var read = HostObserver.NamespaceRead.Parse(string.Join('\n', Links, Routes, Rules, Netconf, Ids) + "\n");

        Assert.Equal(["lo", "ct0"], read.Links.Select(l => l.State.Name));
        Assert.Equal((4, 0), (read.Links[1].PeerIndex!.Value, read.Links[1].PeerNetnsid!.Value));
        Assert.Equal(["default via 10.99.1.2 dev vmbr0", "blackhole 10.9.0.0/16"], read.Routes.Select(r => r.Text));
        Assert.Equal(["0: from all lookup local", "32766: from all lookup main"], read.Rules);
        Assert.True(read.Forwarding);
        Assert.Equal(new Dictionary<int, string> { [0] = "netdash-x-pc" }, read.NetnsIds);
    }

    // A batch stops at the first command that fails: what came before is read, the rest stays empty, never shifted.
    [Fact]
    public void Parse_BatchEndedAfterTheRoutes_LinksAndRoutesKeptTheRestEmpty()
    {
        var read = HostObserver.NamespaceRead.Parse(Links + "\n" + Routes + "\n");

        Assert.Equal(2, read.Links.Count);
        Assert.Equal(2, read.Routes.Count);
        Assert.Empty(read.Rules);
        Assert.False(read.Forwarding);
        Assert.Empty(read.NetnsIds);
    }

    [Theory]
    [InlineData("""[{"family":"inet","interface":"all","forwarding":false}]""", false)]
    [InlineData("""[{"family":"inet6","interface":"all","forwarding":true}]""", false)]
    [InlineData("""[{"family":"inet","interface":"all","forwarding":"on"}]""", true)]
    [InlineData("[]", false)]
    public void Forwarding_NetconfsIpv4AllEntryOnly(string netconf, bool on) => Assert.Equal(on, HostObserver.ForwardingOf(netconf));

    // pid 1's /proc entry may be closed even to root (readlink /proc/1/ns/net: Permission denied on the CI machines),
    // and the default target read it: observing this host said there was no namespace to observe.
    [Fact]
    public void DefaultTarget_TheDashboardsOwnNamespace_Readable()
    {
        var path = ObserveTarget.PathOf(null);

        Assert.Equal($"/proc/{Environment.ProcessId}/ns/net", path);
        Assert.NotNull(ObserveTarget.InodeOf(path));
    }
}

using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class KernelTablesParserTests
{
    // `bridge -j -s fdb show br br0` after vm1 (tap0) and vm2 (tap1) pinged each other: their MACs are learned, each port's own is local.
    private const string Fdb = """
        [{"mac":"52:54:98:76:54:30","ifname":"tap0","flags":[],"master":"br0","updated":4,"used":1},
         {"mac":"fe:a1:b2:c3:d4:00","ifname":"tap0","vlan":1,"flags":[],"master":"br0","state":"permanent","updated":120},
         {"mac":"52:54:98:76:54:31","ifname":"tap1","flags":[],"master":"br0","updated":2,"used":2},
         {"mac":"33:33:00:00:00:01","ifname":"br0","flags":["self"],"state":"permanent"},
         {"mac":"01:00:5e:00:00:01","ifname":"tap0","flags":["self"],"state":"permanent"}]
        """;

    private const string Neighbours = """
        [{"dst":"192.168.1.10","dev":"br0","lladdr":"52:54:98:76:54:30","state":["REACHABLE"]},
         {"dst":"192.168.1.99","dev":"br0","state":["INCOMPLETE"]}]
        """;

    [Fact]
    public void ParseForwardingDatabase_TwoGuestsPinged_BothMacsLearnedOnTheirPorts()
    {
        var table = KernelJsonParser.ParseForwardingDatabase(Fdb, "br0");

        Assert.Equal(
        [
            new FdbEntry("52:54:98:76:54:30", "tap0", false, 4),
            new FdbEntry("fe:a1:b2:c3:d4:00", "tap0", true, 120),
            new FdbEntry("52:54:98:76:54:31", "tap1", false, 2),
        ], table);
    }

    [Fact]
    public void ParseForwardingDatabase_OtherBridge_Nothing() => Assert.Empty(KernelJsonParser.ParseForwardingDatabase(Fdb, "br1"));

    [Fact]
    public void ParseNeighbours_ResolvedAndUnresolved_BothListed()
    {
        var table = KernelJsonParser.ParseNeighbours(Neighbours);

        Assert.Equal(new NeighbourEntry("192.168.1.10", "br0", "52:54:98:76:54:30", "REACHABLE"), table[0]);
        Assert.Equal(new NeighbourEntry("192.168.1.99", "br0", null, "INCOMPLETE"), table[1]);
        Assert.Empty(KernelJsonParser.ParseNeighbours(""));
    }
}

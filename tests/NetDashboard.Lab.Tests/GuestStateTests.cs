using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

public sealed class GuestStateTests
{
    // Recorded from the built-in guest (busybox ip) after `ifconfig eth0 192.168.1.10` and a ping of its gateway.
    private const string Configured = """
        2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000
            link/ether 52:54:98:76:54:30 brd ff:ff:ff:ff:ff:ff
            inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0
               valid_lft forever preferred_lft forever
        @@
        default via 192.168.1.1 dev eth0
        192.168.1.0/24 dev eth0 scope link  src 192.168.1.10
        @@
        192.168.1.1 dev eth0 lladdr 5e:8e:cc:5a:11:02 ref 1 used 0/0/0 probes 1 REACHABLE
        192.168.1.11 dev eth0  FAILED

        """;

    private const string Unconfigured = """
        2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop qlen 1000
            link/ether 52:54:98:76:54:30 brd ff:ff:ff:ff:ff:ff
        @@
        @@

        """;

    [Fact]
    public void Parse_ConfiguredGuest_AddressRoutesAndArp()
    {
        var state = GuestState.Parse(Configured, DateTimeOffset.UnixEpoch);

        Assert.True(state.Known);
        Assert.True(state.LinkUp);
        Assert.Equal([InterfaceAddress.Parse("192.168.1.10/24")], state.Addresses);
        Assert.Equal(["default via 192.168.1.1 dev eth0", "192.168.1.0/24 dev eth0 scope link src 192.168.1.10"], state.Routes);
        Assert.Equal(new GuestNeighbour("192.168.1.1", "5e:8e:cc:5a:11:02", "REACHABLE"), state.Neighbours[0]);
        Assert.Equal(new GuestNeighbour("192.168.1.11", null, "FAILED"), state.Neighbours[1]);
    }

    [Fact]
    public void Parse_FreshGuest_NoAddressLinkDown()
    {
        var state = GuestState.Parse(Unconfigured, DateTimeOffset.UnixEpoch);

        Assert.False(state.LinkUp);
        Assert.Empty(state.Addresses);
        Assert.Empty(state.Routes);
        Assert.Empty(state.Neighbours);
        Assert.False(state.SameAs(GuestState.Parse(Configured, DateTimeOffset.UnixEpoch)));
        Assert.True(state.SameAs(GuestState.Parse(Unconfigured, DateTimeOffset.UtcNow)));
    }

    [Fact]
    public void Parse_Garbage_EmptyStateNotAnError()
    {
        var state = GuestState.Parse("sh: ip: not found\n", DateTimeOffset.UnixEpoch);

        Assert.Empty(state.Addresses);
        Assert.False(state.LinkUp);
    }
}

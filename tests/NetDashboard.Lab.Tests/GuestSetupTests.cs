using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

public sealed class GuestSetupTests
{
    private static readonly VmDefinition Vm1 = new()
    {
        Name = "vm1",
        Mac = MacAddress.Parse("52:54:98:76:54:30"),
        Tap = "tap0",
        Address = InterfaceAddress.Parse("192.168.1.10/24"),
        Gateway = System.Net.IPAddress.Parse("192.168.1.1"),
    };

    private const string Unconfigured = """
        2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop qlen 1000
            link/ether 52:54:98:76:54:30 brd ff:ff:ff:ff:ff:ff
        """;

    private const string Configured = """
        2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000
            link/ether 52:54:98:76:54:30 brd ff:ff:ff:ff:ff:ff
            inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0
               valid_lft forever preferred_lft forever
        default via 192.168.1.1 dev eth0 
        192.168.1.0/24 dev eth0 scope link  src 192.168.1.10 
        """;

    [Fact]
    public void CommandsFor_UnconfiguredGuest_TutorialIfconfigAndRoute() =>
        Assert.Equal(["ifconfig eth0 192.168.1.10", "route add -net 0.0.0.0/0 gw 192.168.1.1"], GuestSetup.CommandsFor(Vm1, Unconfigured));

    [Fact]
    public void CommandsFor_ConfiguredGuest_Nothing() => Assert.Empty(GuestSetup.CommandsFor(Vm1, Configured));

    [Fact]
    public void CommandsFor_AddressButLinkDown_IfconfigAgain() =>
        Assert.Equal(["ifconfig eth0 192.168.1.10"], GuestSetup.CommandsFor(Vm1, Configured.Replace("BROADCAST,MULTICAST,UP,LOWER_UP", "BROADCAST,MULTICAST")));

    [Theory]
    [InlineData("192.168.1.10/24", "ifconfig eth0 192.168.1.10")]
    [InlineData("10.0.0.5/8", "ifconfig eth0 10.0.0.5")]
    [InlineData("192.168.1.10/25", "ifconfig eth0 192.168.1.10 netmask 255.255.255.128 up")]
    [InlineData("10.1.2.3/16", "ifconfig eth0 10.1.2.3 netmask 255.255.0.0 up")]
    public void IfconfigCommand_Prefix_NetmaskOnlyWhenNotClassful(string address, string expected) =>
        Assert.Equal(expected, GuestSetup.IfconfigCommand(InterfaceAddress.Parse(address)));
}

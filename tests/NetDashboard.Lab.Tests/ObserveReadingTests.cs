using NetDashboard.Lab.Model;
using NetDashboard.Lab.Observe;

namespace NetDashboard.Lab.Tests;

/// <summary>Observe mode's readings of recorded kernel output, and the stacks it names from them.</summary>
public sealed class ObserveReadingTests
{
    [Fact]
    public void Rules_RecordedIpJRule_AsIpPrintsThem()
    {
        const string Json = """[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"10.99.1.0","srclen":24,"table":"100"},{"priority":200,"src":"all","fwmark":"0x1","table":"100"},{"priority":32766,"src":"all","table":"main"}]""";

        Assert.Equal(["0: from all lookup local", "100: from 10.99.1.0/24 lookup 100", "200: from all fwmark 0x1 lookup 100", "32766: from all lookup main"],
            HostObserver.ParseRules(Json));
    }

    [Fact]
    public void Chains_RecordedNftRuleset_FamilyTableAndChain()
    {
        const string Ruleset = """
            table ip nat {
            	chain LIBVIRT_PRT {
            		ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter packets 0 bytes 0 masquerade
            	}
            	chain POSTROUTING {
            		type nat hook postrouting priority srcnat; policy accept;
            	}
            }
            table inet filter {
            	chain forward {
            	}
            }
            """;

        Assert.Equal(["ip nat LIBVIRT_PRT", "ip nat POSTROUTING", "inet filter forward"], HostObserver.ChainsOf(Ruleset));
    }

    [Theory]
    [InlineData("/usr/bin/qemu-system-x86_64 -name guest=web1,debug-threads=on -S -machine pc", "web1")]
    [InlineData("qemu-system-x86_64 -name vm1 -machine pc,accel=tcg", "vm1")]
    [InlineData("qemu-system-x86_64 -machine pc", null)]
    [InlineData("qemu-system-x86_64 -name", null)]
    public void GuestName_QemuCommandLines_TheNameWithoutLibvirtsOptions(string commandLine, string? guest) =>
        Assert.Equal(guest, TapHolders.GuestName(commandLine));

    private static ObservedLink Link(string name, string kind, string? master = null, string? address = null, TapHolder? holder = null) =>
        new(0, name, kind, null, 1500, "UP", master, address is null ? [] : [address], Holder: holder);

    [Fact]
    public void Recognize_VirbrWithLibvirtsDnsmasqAndNatChain_LibvirtNetworkLabelWithTheGuestBehindItsTap()
    {
        var ns = new ObservedNamespace(1, "host", true, [],
            [Link("virbr0", "bridge", address: "192.168.122.1/24"), Link("vnet0", "tun", "virbr0", holder: new TapHolder(42, "qemu-system-x86", "web1"))],
            [], [], true, ["ip nat LIBVIRT_PRT"]);

        var stacks = StackRecognizer.Recognize([ns], [(1, 812, 1, "/usr/sbin/dnsmasq --conf-file=/var/lib/libvirt/dnsmasq/default.conf --leasefile-ro")]);

        Assert.Equal(["libvirt network default: virbr0, NAT 192.168.122.0/24, dnsmasq (pid 812), vnet0 (web1)"], stacks.Select(s => s.Label));
    }

    // As a real libvirt 9.0 runs it: the network's dnsmasq (its parent init) and the helper it forks to run
    // --dhcp-script, with the same command line.
    [Fact]
    public void Recognize_LibvirtsDnsmasqAndItsScriptHelper_OneNetworkNamingTheParentDnsmasq()
    {
        const string Dnsmasq = "/usr/sbin/dnsmasq --conf-file=/var/lib/libvirt/dnsmasq/default.conf --leasefile-ro --dhcp-script=/usr/lib/libvirt/libvirt_leaseshelper";
        var ns = new ObservedNamespace(1, "host", true, [],
            [Link("virbr0", "bridge", address: "192.168.122.1/24"), Link("vnet0", "tun", "virbr0", holder: new TapHolder(900, "qemu-system-x86", "web1"))],
            [], [], true, ["ip nat LIBVIRT_PRT"]);

        var stacks = StackRecognizer.Recognize([ns], [(1, 700, 1, "/usr/sbin/libvirtd"), (1, 820, 812, Dnsmasq), (1, 812, 1, Dnsmasq)]);

        Assert.Equal(["libvirt network default: virbr0, NAT 192.168.122.0/24, dnsmasq (pid 812), vnet0 (web1)"], stacks.Select(s => s.Label));
    }

    [Theory]
    [InlineData("812 (dnsmasq) S 1 811 811 0 -1 4194624 113 0 0 0", 1)]
    [InlineData("820 (a (b) c) S 812 811 811 0 -1", 812)]
    [InlineData("", 0)]
    [InlineData("garbage", 0)]
    public void ParentPidOf_ProcStatLines_TheFieldAfterTheState(string stat, int parent) =>
        Assert.Equal(parent, ProcNamespaces.ParentPidOf(stat));

    [Fact]
    public void Recognize_Docker0WithTwoVethPorts_DockerLabelCountingContainers()
    {
        var ns = new ObservedNamespace(1, null, true, [], [Link("docker0", "bridge"), Link("veth1a", "veth", "docker0"), Link("veth2b", "veth", "docker0")],
            [], [], true, []);

        Assert.Equal(["Docker: docker0, 2 containers"], StackRecognizer.Recognize([ns], []).Select(s => s.Label));
    }

    [Fact]
    public void Recognize_VirbrWithoutLibvirtsDnsmasq_NotCalledLibvirt()
    {
        var ns = new ObservedNamespace(1, null, true, [], [Link("virbr0", "bridge")], [], [], true, []);

        Assert.Empty(StackRecognizer.Recognize([ns], [(1, 9, 1, "/usr/sbin/dnsmasq --conf-file=/etc/other.conf")]));
    }
}

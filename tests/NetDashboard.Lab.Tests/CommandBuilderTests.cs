using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;

namespace NetDashboard.Lab.Tests;

/// <summary>Golden argv: the exact command each operation and each read runs, compared word by word.</summary>
public sealed class CommandBuilderTests
{
    private const string HostNs = "netdash-t1-host";
    private const string WanNs = "netdash-t1-wan";

    private static readonly Subnet Lan = Subnet.Parse("192.168.1.0/24");
    private static readonly Subnet Default = Subnet.Parse("0.0.0.0/0");
    private static readonly IPAddress Gateway = IPAddress.Parse("10.180.13.1");
    private static readonly InterfaceAddress BridgeAddress = InterfaceAddress.Parse("192.168.1.1/24");
    private static readonly VmDefinition Vm1 = new() { Name = "vm1", Mac = MacAddress.Parse("52:54:98:76:54:30"), Tap = "tap0" };
    private static readonly VmPaths Vm1Paths = new("/run/nd/t1/vms/vm1");
    private static readonly GuestImage Guest = new("/nonexistent/guest");

    /// <summary>One case per operation variant, keyed by a readable name so each shows as its own test.</summary>
    private static readonly Dictionary<string, (LabOperation Operation, string[] Argv)> Goldens = new()
    {
        ["CreateNamespace"] = (new CreateNamespace(HostNs), ["ip", "netns", "add", HostNs]),
        ["DeleteNamespace"] = (new DeleteNamespace(HostNs), ["ip", "netns", "del", HostNs]),
        ["CreateVethPair"] = (new CreateVethPair(HostNs, "ens160", WanNs, "eth0"),
            ["ip", "-n", HostNs, "link", "add", "name", "ens160", "type", "veth", "peer", "name", "eth0", "netns", WanNs]),
        ["CreateBridge"] = (new CreateBridge(HostNs, "br0"), ["ip", "-n", HostNs, "link", "add", "name", "br0", "type", "bridge"]),
        ["DeleteBridge"] = (new DeleteBridge(HostNs, "br0"), ["ip", "-n", HostNs, "link", "del", "dev", "br0"]),
        ["AddBridgePort"] = (new AddBridgePort(HostNs, "br0", "tap0"), ["ip", "-n", HostNs, "link", "set", "dev", "tap0", "master", "br0"]),
        ["RemoveBridgePort"] = (new RemoveBridgePort(HostNs, "br0", "tap0"), ["ip", "-n", HostNs, "link", "set", "dev", "tap0", "nomaster"]),
        ["SetLinkState up"] = (new SetLinkState(HostNs, "br0", true), ["ip", "-n", HostNs, "link", "set", "dev", "br0", "up"]),
        ["SetLinkState down"] = (new SetLinkState(HostNs, "tap0", false), ["ip", "-n", HostNs, "link", "set", "dev", "tap0", "down"]),
        ["SetLinkAddress"] = (new SetLinkAddress(HostNs, "br0", "52:54:00:12:34:56"), ["ip", "-n", HostNs, "link", "set", "dev", "br0", "address", "52:54:00:12:34:56"]),
        ["AddAddress"] = (new AddAddress(HostNs, "br0", BridgeAddress), ["ip", "-n", HostNs, "addr", "add", "192.168.1.1/24", "dev", "br0"]),
        ["RemoveAddress"] = (new RemoveAddress(HostNs, "br0", BridgeAddress), ["ip", "-n", HostNs, "addr", "del", "192.168.1.1/24", "dev", "br0"]),
        ["SetForwarding on"] = (new SetForwarding(HostNs, true),
            ["ip", "netns", "exec", HostNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]),
        ["SetForwarding off"] = (new SetForwarding(HostNs, false),
            ["ip", "netns", "exec", HostNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]),
        ["AddMasquerade"] = (new AddMasquerade(HostNs, Lan, null, "netdash:t1"),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING",
                "-s", "192.168.1.0/24", "!", "-d", "192.168.1.0/24", "-m", "comment", "--comment", "netdash:t1", "-j", "MASQUERADE"]),
        ["AddMasquerade out ens160"] = (new AddMasquerade(HostNs, Lan, "ens160", "netdash:t1"),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING",
                "-s", "192.168.1.0/24", "!", "-d", "192.168.1.0/24", "-o", "ens160", "-m", "comment", "--comment", "netdash:t1", "-j", "MASQUERADE"]),
        ["RemoveMasquerade"] = (new RemoveMasquerade(HostNs, Lan, null, "netdash:t1"),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "nat", "-D", "POSTROUTING",
                "-s", "192.168.1.0/24", "!", "-d", "192.168.1.0/24", "-m", "comment", "--comment", "netdash:t1", "-j", "MASQUERADE"]),
        ["RemoveMasquerade out ens160"] = (new RemoveMasquerade(HostNs, Lan, "ens160", "netdash:t1"),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "nat", "-D", "POSTROUTING",
                "-s", "192.168.1.0/24", "!", "-d", "192.168.1.0/24", "-o", "ens160", "-m", "comment", "--comment", "netdash:t1", "-j", "MASQUERADE"]),
        ["AddRoute"] = (new AddRoute(HostNs, Default, Gateway), ["ip", "-n", HostNs, "route", "add", "0.0.0.0/0", "via", "10.180.13.1"]),
        ["AddRoute dev ens160"] = (new AddRoute(HostNs, Default, Gateway, "ens160"),
            ["ip", "-n", HostNs, "route", "add", "0.0.0.0/0", "via", "10.180.13.1", "dev", "ens160"]),
        ["RemoveRoute"] = (new RemoveRoute(HostNs, Lan, Gateway), ["ip", "-n", HostNs, "route", "del", "192.168.1.0/24", "via", "10.180.13.1"]),
        ["RemoveFirewallRule"] = (new RemoveFirewallRule(HostNs, "filter", "FORWARD", ["-j", "DROP"]),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "filter", "-D", "FORWARD", "-j", "DROP"]),
        ["RemoveFirewallRule comment with spaces"] = (new RemoveFirewallRule(HostNs, "raw", "PREROUTING",
                ["-s", "203.0.113.0/24", "-p", "icmp", "-m", "comment", "--comment", "x y", "-j", "DROP"]),
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "raw", "-D", "PREROUTING",
                "-s", "203.0.113.0/24", "-p", "icmp", "-m", "comment", "--comment", "x y", "-j", "DROP"]),
        ["RemoveBlockingRoute"] = (new RemoveBlockingRoute(HostNs, Lan, "blackhole"), ["ip", "-n", HostNs, "route", "del", "blackhole", "192.168.1.0/24"]),
        ["RemoveBlockingRoute default"] = (new RemoveBlockingRoute(HostNs, Default, "unreachable"), ["ip", "-n", HostNs, "route", "del", "unreachable", "0.0.0.0/0"]),
        ["SetRpFilter"] = (new SetRpFilter(HostNs, "eth0.100", 2),
            ["ip", "netns", "exec", HostNs, "sysctl", "-q", "-w", "net/ipv4/conf/eth0.100/rp_filter=2"]),
        ["SetRpFilter all"] = (new SetRpFilter(HostNs, "all", 0), ["ip", "netns", "exec", HostNs, "sysctl", "-q", "-w", "net/ipv4/conf/all/rp_filter=0"]),
        ["SetMtu"] = (new SetMtu(HostNs, "br0", 1400), ["ip", "-n", HostNs, "link", "set", "dev", "br0", "mtu", "1400"]),
        ["FlushConntrack"] = (new FlushConntrack(HostNs), ["ip", "netns", "exec", HostNs, "conntrack", "-F"]),
        ["StartInternetServer"] = (new StartInternetServer(WanNs, "/run/netdash/t1/www"),
            ["ip", "netns", "exec", WanNs, "busybox", "httpd", "-p", "80", "-h", "/run/netdash/t1/www"]),
        ["StopProcess"] = (new StopProcess(HostNs, 4242, Force: false), ["kill", "-TERM", "4242"]),
        ["StopProcess force"] = (new StopProcess(HostNs, 4242, Force: true), ["kill", "-KILL", "4242"]),
        ["Ping"] = (new Ping(HostNs, IPAddress.Parse("203.0.113.5")), ["ip", "netns", "exec", HostNs, "ping", "-c", "1", "-W", "2", "203.0.113.5"]),
        ["Probe icmp:1400"] = (new Probe(HostNs, IPAddress.Parse("203.0.113.5"), TraceProtocol.Parse("icmp:1400").Protocol!),
            ["ip", "netns", "exec", HostNs, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1400", "203.0.113.5"]),
        ["StartPacketTrace icmp"] = (new StartPacketTrace(WanNs, TraceProtocol.Icmp, IPAddress.Parse("203.0.113.5")),
            ["ip", "netns", "exec", WanNs, "nft", "add table ip netdash_trace; "
                + "add chain ip netdash_trace pre { type filter hook prerouting priority -350; }; "
                + "add chain ip netdash_trace out { type filter hook output priority -350; }; "
                + "add rule ip netdash_trace pre meta l4proto icmp ip daddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace pre meta l4proto icmp ip saddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace out meta l4proto icmp ip daddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace out meta l4proto icmp ip saddr 203.0.113.5 meta nftrace set 1"]),
        ["StartPacketTrace tcp"] = (new StartPacketTrace(HostNs, TraceProtocol.Parse("tcp:80").Protocol!, IPAddress.Parse("203.0.113.5")),
            ["ip", "netns", "exec", HostNs, "nft", "add table ip netdash_trace; "
                + "add chain ip netdash_trace pre { type filter hook prerouting priority -350; }; "
                + "add chain ip netdash_trace out { type filter hook output priority -350; }; "
                + "add rule ip netdash_trace pre tcp dport 80 ip daddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace pre tcp sport 80 ip saddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace out tcp dport 80 ip daddr 203.0.113.5 meta nftrace set 1; "
                + "add rule ip netdash_trace out tcp sport 80 ip saddr 203.0.113.5 meta nftrace set 1"]),
        ["StopPacketTrace"] = (new StopPacketTrace(HostNs), ["ip", "netns", "exec", HostNs, "nft", "delete", "table", "ip", "netdash_trace"]),
        ["Probe icmp"] = (new Probe(HostNs, IPAddress.Parse("203.0.113.5"), TraceProtocol.Icmp), ["ip", "netns", "exec", HostNs, "ping", "-c", "1", "-W", "1", "203.0.113.5"]),
        ["Probe tcp"] = (new Probe(HostNs, IPAddress.Parse("203.0.113.5"), TraceProtocol.Parse("tcp:8080").Protocol!),
            ["ip", "netns", "exec", HostNs, "busybox", "wget", "-q", "-O", "/dev/null", "http://203.0.113.5:8080/"]),
        ["Probe udp"] = (new Probe(HostNs, IPAddress.Parse("203.0.113.5"), TraceProtocol.Parse("udp:53").Protocol!),
            ["ip", "netns", "exec", HostNs, "busybox", "nslookup", "netdash-trace.test", "203.0.113.5"]),
        ["StartVm builtin"] = (new StartVm(HostNs, Vm1, Vm1Paths, Guest, null, Kvm: false),
        [
            "ip", "netns", "exec", HostNs, "qemu-system-x86_64",
            "-name", "vm1", "-machine", "pc,accel=tcg", "-m", "256", "-nodefaults", "-no-user-config", "-vga", "std",
            "-vnc", "unix:/run/nd/t1/vms/vm1/vnc.sock",
            "-qmp", "unix:/run/nd/t1/vms/vm1/qmp.sock,server=on,wait=off",
            "-chardev", "socket,id=console,path=/run/nd/t1/vms/vm1/serial.sock,server=on,wait=off,logfile=/run/nd/t1/vms/vm1/serial.log,logappend=on",
            "-serial", "chardev:console",
            "-chardev", "socket,id=agent,path=/run/nd/t1/vms/vm1/agent.sock,server=on,wait=off",
            "-serial", "chardev:agent",
            "-netdev", "tap,id=mynet0,ifname=tap0,script=no,downscript=no",
            "-device", "e1000,netdev=mynet0,mac=52:54:98:76:54:30,autonegotiation=off",
            "-kernel", "/nonexistent/guest/vmlinuz", "-initrd", "/nonexistent/guest/initrd.gz",
            "-append", "console=ttyS0 quiet no_timer_check netdash.name=vm1 netdash.ipv6=0",
            "-daemonize", "-pidfile", "/run/nd/t1/vms/vm1/qemu.pid",
        ]),
        ["StartVm disk image, virtio, kvm"] = (new StartVm(HostNs, Vm1 with { Nic = NicModel.VirtioNet, Image = "/images/cirros.img", MemoryMb = 128 },
            new VmPaths("/run/a,b/vm1"), Guest, new DiskImageFile("cirros.img", "/images/cirros.img", "qcow2", 1), Kvm: true),
        [
            "ip", "netns", "exec", HostNs, "qemu-system-x86_64",
            "-name", "vm1", "-machine", "pc,accel=kvm", "-m", "128", "-nodefaults", "-no-user-config", "-vga", "std",
            "-vnc", "unix:/run/a,,b/vm1/vnc.sock",
            "-qmp", "unix:/run/a,,b/vm1/qmp.sock,server=on,wait=off",
            "-chardev", "socket,id=console,path=/run/a,,b/vm1/serial.sock,server=on,wait=off,logfile=/run/a,,b/vm1/serial.log,logappend=on",
            "-serial", "chardev:console",
            "-chardev", "socket,id=agent,path=/run/a,,b/vm1/agent.sock,server=on,wait=off",
            "-serial", "chardev:agent",
            "-netdev", "tap,id=mynet0,ifname=tap0,script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=mynet0,mac=52:54:98:76:54:30",
            "-drive", "file=/images/cirros.img,format=qcow2,if=virtio,snapshot=on",
            "-daemonize", "-pidfile", "/run/a,b/vm1/qemu.pid",
        ]),
    };

    public static TheoryData<string> GoldenCases => new(Goldens.Keys);

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Build_GoldenOperation_ProducesExactArgv(string name)
    {
        var (operation, argv) = Goldens[name];

        Assert.Equal(argv, CommandBuilder.Build(operation).Argv);
    }

    [Fact]
    public void Build_EveryLabOperationType_HasAGoldenCase()
    {
        var operationTypes = typeof(LabOperation).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(LabOperation)) && !t.IsAbstract)
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);
        var covered = Goldens.Values.Select(g => g.Operation.GetType().Name).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(operationTypes, covered);
    }

    [Fact]
    public void Build_AnyOperation_ProgramIsIpOrKillNeverAShell()
    {
        var programs = Goldens.Values.Select(g => CommandBuilder.Build(g.Operation).Program).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(["ip", "kill"], programs);
    }

    [Fact]
    public void ReadLinks_Namespace_IpJsonDetailedAddrShow() =>
        Assert.Equal(["ip", "-n", HostNs, "-j", "-d", "addr", "show"], KernelReads.ReadLinks(HostNs).Argv);

    [Fact]
    public void ReadRoutes_Namespace_IpJsonRouteShow() =>
        Assert.Equal(["ip", "-n", HostNs, "-j", "route", "show"], KernelReads.ReadRoutes(HostNs).Argv);

    [Fact]
    public void ReadBridgePorts_Namespace_BridgeJsonLinkShow() =>
        Assert.Equal(["bridge", "-n", HostNs, "-j", "link", "show"], KernelReads.ReadBridgePorts(HostNs).Argv);

    [Fact]
    public void ReadForwarding_Namespace_SysctlValueOnly() =>
        Assert.Equal(["ip", "netns", "exec", HostNs, "sysctl", "-n", "net.ipv4.ip_forward"], KernelReads.ReadForwarding(HostNs).Argv);

    [Fact]
    public void ReadNatRules_Namespace_IptablesSpecOfPostrouting() =>
        Assert.Equal(["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "nat", "-S", "POSTROUTING"], KernelReads.ReadNatRules(HostNs).Argv);

    [Fact]
    public void Monitor_Namespace_IpMonitorOfLinksAddressesRoutesNetconf() =>
        Assert.Equal(["ip", "-n", HostNs, "monitor", "link", "address", "route", "netconf"], KernelReads.Monitor(HostNs).Argv);

    [Fact]
    public void RuleTag_LabName_NetdashPrefixed() => Assert.Equal("netdash:t1", RuleTags.Of("t1"));

    [Fact]
    public void ToString_MasqueradeCommand_QuotesOnlyTheBang() =>
        Assert.Equal(
            $"ip netns exec {HostNs} iptables -w -t nat -A POSTROUTING -s 192.168.1.0/24 '!' -d 192.168.1.0/24 -m comment --comment netdash:t1 -j MASQUERADE",
            CommandBuilder.Build(new AddMasquerade(HostNs, Lan, null, "netdash:t1")).ToString());

    [Fact]
    public void ToString_WordWithSpace_SingleQuoted() =>
        Assert.Equal("echo 'hello world'", new HostCommand("echo", ["hello world"]).ToString());

    [Fact]
    public void ToString_WordWithSingleQuote_QuoteEscaped() =>
        Assert.Equal(@"echo 'it'\''s'", new HostCommand("echo", ["it's"]).ToString());

    [Fact]
    public void ToString_EmptyWord_EmptyQuotes() =>
        Assert.Equal("echo ''", new HostCommand("echo", [""]).ToString());

    [Theory]
    [InlineData("br0")]
    [InlineData("192.168.1.0/24")]
    [InlineData("net.ipv4.ip_forward=1")]
    [InlineData("netdash:t1")]
    [InlineData("-KILL")]
    public void ShellQuote_PlainWord_Unchanged(string word) => Assert.Equal(word, Printable.ShellQuote(word));

    [Theory]
    [InlineData("$HOME")]
    [InlineData("a;b")]
    [InlineData("*")]
    [InlineData("tab\there")]
    public void ShellQuote_ShellSpecialWord_SingleQuoted(string word) => Assert.Equal($"'{word}'", Printable.ShellQuote(word));

    [Fact]
    public void Equals_SameArgvInDifferentLists_Equal() =>
        Assert.Equal(new HostCommand("ip", ["netns", "list"]), new HostCommand("ip", new List<string> { "netns", "list" }));

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void IpBatchLineOf_GoldenOperation_ItsArgvAfterIpDashNOrNone(string name)
    {
        var (operation, argv) = Goldens[name];
        var ipInNamespace = argv is ["ip", "-n", _, ..];

        Assert.Equal(ipInNamespace ? string.Join(' ', argv[3..]) : null, IpBatch.LineOf(operation));
    }

    [Fact]
    public void IpBatchCommand_Lines_IpDashNBatchFromStdin()
    {
        var command = IpBatch.Command(HostNs, ["link add name br0 type bridge", "link set dev br0 up"]);

        Assert.Equal(["ip", "-n", HostNs, "-batch", "-"], command.Argv);
        Assert.Equal("link add name br0 type bridge\nlink set dev br0 up\n", command.StandardInput);
    }

    [Fact]
    public void IpBatchFailedLine_IpNamesTheLine_ItsNumberAndMessage()
    {
        const string stderr = "Cannot find device \"nosuch\"\nCommand failed -:3\n";

        Assert.Equal(3, IpBatch.FailedLine(stderr));
        Assert.Equal("Cannot find device \"nosuch\"", IpBatch.MessageOf(stderr));
    }

    [Fact]
    public void IpBatchFailedLine_IpExitedWithoutNamingIt_Null() =>
        Assert.Null(IpBatch.FailedLine("Error: any valid prefix is expected rather than \"10.9.9.300/24\".\n"));
}

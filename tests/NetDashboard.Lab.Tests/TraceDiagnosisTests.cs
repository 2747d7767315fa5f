using NetDashboard.Lab.Host;
using System.Net;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// A trace's verdict from recorded kernel and guest state shaped like seed-nat (vm1 on tap0 in br0, forwarding,
/// MASQUERADE to ens160): each fault of the tutorial gets its own verdict and fix, and a rule is never blamed for a
/// packet that was seen past the place it would stop it.
/// </summary>
public sealed partial class TraceDiagnosisTests
{
    private const string Lab = "tr";
    private static readonly IPAddress Server = IPAddress.Parse("203.0.113.5");
    private static readonly LabDefinition SeedNat = LabFileReader.LoadFile(TestFiles.Lab("seed-nat.yaml"), Lab);
    private static readonly TraceSource Vm1 = new("vm1", "tap0");

    private static LinkState Link(string name, string kind, bool up = true, string? master = null, params string[] addresses) => new()
    {
        Name = name, Kind = kind, AdminUp = up, OperState = up ? "UP" : "DOWN", Master = master,
        Addresses = addresses.Select(InterfaceAddress.Parse).ToList(),
    };

    private static Topology Kernel(bool forwarding = true, bool masquerade = true, string? tap0Master = "br0", bool tap0Up = true, bool br0Up = true,
        string[]? br0Addresses = null) => new(Lab, DateTimeOffset.UnixEpoch,
    [
        new NamespaceState(new LabNamespaces(Lab).Host, NamespaceRole.Host, true,
            [
                Link("lo", "loopback", addresses: "127.0.0.1/8"),
                Link("ens160", "veth", addresses: "10.180.13.232/24"),
                Link("ens192", "veth"),
                Link("br0", "bridge", br0Up, addresses: br0Addresses ?? ["192.168.1.1/24"]),
                Link("tap0", "tun", tap0Up, tap0Master),
                Link("tap1", "tun", master: "br0"),
            ],
            [new RouteState("default", "10.180.13.1", "ens160", null, null), new RouteState("10.180.13.0/24", null, "ens160", "kernel", "link")],
            forwarding,
            masquerade
                ? [new NatRule("POSTROUTING", "192.168.1.0/24", "192.168.1.0/24", null, "MASQUERADE", "netdash:tr", "-A POSTROUTING -s 192.168.1.0/24 ! -d 192.168.1.0/24 -j MASQUERADE")]
                : []),
        new NamespaceState(new LabNamespaces(Lab).Wan, NamespaceRole.Wan, true,
            [Link("lo", "loopback", addresses: ["127.0.0.1/8", "203.0.113.5/32"]), Link("eth0", "veth", addresses: "10.180.13.1/24")], [], false, []),
        new NamespaceState(new LabNamespaces(Lab).Pc, NamespaceRole.Pc, true,
            [Link("lo", "loopback", addresses: "127.0.0.1/8"), Link("eth0", "veth", addresses: "192.168.1.3/24")],
            [new RouteState("default", "192.168.1.1", "eth0", null, null)], false, []),
    ]);

    private static GuestState Guest(bool address = true, bool defaultRoute = true, bool linkUp = true) => new(true, linkUp,
        address ? [InterfaceAddress.Parse("192.168.1.10/24")] : [],
        [.. (defaultRoute ? new[] { "default via 192.168.1.1 dev eth0" } : []), .. (address ? new[] { "192.168.1.0/24 dev eth0 scope link src 192.168.1.10" } : [])],
        [], DateTimeOffset.UnixEpoch);

    private static TraceVerdict? Diagnose(Topology kernel, GuestState? guest, string[] seen, bool replied = false, TraceSource? source = null) =>
        TraceDiagnosis.Diagnose(new TraceObservation(TracePlan.For(source ?? Vm1, Server, kernel, SeedNat), kernel, SeedNat, guest, true,
            seen.Select(InterfaceRef.Parse).ToHashSet(), replied));

    private static readonly string[] Everywhere = ["host/tap0", "host/br0", "host/ens160", "wan/eth0"];

    [Fact]
    public void Plan_FromVm1_CrossesTapBridgeUplinkAndWan()
    {
        var plan = TracePlan.For(Vm1, Server, Kernel(), SeedNat);

        Assert.Equal(Everywhere, plan.Stations.Select(s => s.Name.ToString()));
        Assert.All(plan.Stations, s => Assert.True(s.Exists));
        Assert.Equal(("br0", "ens160"), (plan.Bridge, plan.Egress));
    }

    [Fact]
    public void Plan_FromPc_StartsOnThePcsCableIntoTheBridge()
    {
        var kernel = Kernel();
        var host = kernel.Host with { Links = kernel.Host.Links.Select(l => l.Name == "ens192" ? l with { Master = "br0" } : l).ToList() };
        var plan = TracePlan.For(TraceSource.Pc, Server, kernel with { Namespaces = [host, .. kernel.Namespaces.Skip(1)] }, SeedNat);

        Assert.Equal(["pc/eth0", "host/ens192", "host/br0", "host/ens160", "wan/eth0"], plan.Stations.Select(s => s.Name.ToString()));
    }

    [Fact]
    public void Diagnose_PcCableNotInAnyBridge_IsNotAPortOfTheBridgeOnItsSubnet()
    {
        // seed-nat leaves ens192 out of br0: the PC's gateway 192.168.1.1 is on br0, which the PC cannot reach.
        var verdict = Diagnose(Kernel(), null, ["pc/eth0", "host/ens192"], source: TraceSource.Pc)!;

        Assert.Equal("not-a-port", verdict.Reason);
        Assert.Equal("(host)$ brctl addif br0 ens192", verdict.Fix!.Tutorial);
    }

    [Fact]
    public void Plan_ToAnAddressOnTheBridgesSubnet_RoutesNothing()
    {
        var plan = TracePlan.For(Vm1, IPAddress.Parse("192.168.1.11"), Kernel(), SeedNat);

        Assert.Equal(["host/tap0", "host/br0"], plan.Stations.Select(s => s.Name.ToString()));
        Assert.Null(plan.Egress);
    }

    [Fact]
    public void Plan_TapNotInTheKernel_IsMarkedMissingAndTheBridgeComesFromTheLabFile()
    {
        var kernel = Kernel();
        var host = kernel.Host with { Links = kernel.Host.Links.Where(l => l.Name != "tap0").ToList() };
        var plan = TracePlan.For(Vm1, Server, kernel with { Namespaces = [host, .. kernel.Namespaces.Skip(1)] }, SeedNat);

        Assert.False(plan.Stations[0].Exists);
        Assert.Equal("br0", plan.Bridge);
    }

    [Fact]
    public void Diagnose_ReplyCame_NoVerdict() =>
        Assert.Null(Diagnose(Kernel(), Guest(), Everywhere, replied: true));

    [Fact]
    public void Diagnose_ForwardingOff_StoppedAfterBr0WithTheSysctlFix()
    {
        var verdict = Diagnose(Kernel(forwarding: false), Guest(), ["host/tap0", "host/br0"])!;

        Assert.Equal("forwarding-off", verdict.Reason);
        Assert.Equal("host/br0", verdict.StoppedAfter?.ToString());
        Assert.StartsWith("The packet stopped after host/br0. IP forwarding is off", verdict.Sentence);
        Assert.Equal("(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward", verdict.Fix!.Tutorial);
        Assert.Equal(("setForwarding", true), (verdict.Fix!.Operations.Single().Kind, verdict.Fix!.Operations.Single().Enabled));
    }

    [Fact]
    public void Diagnose_ForwardingOffButThePacketLeftEns160_BlamesSomethingElse()
    {
        var verdict = Diagnose(Kernel(forwarding: false), Guest(), Everywhere)!;

        Assert.NotEqual("forwarding-off", verdict.Reason);
    }

    [Fact]
    public void Diagnose_TapNotInBridge_AddifFix()
    {
        var verdict = Diagnose(Kernel(tap0Master: null), Guest(), ["host/tap0"])!;

        Assert.Equal("not-a-port", verdict.Reason);
        Assert.Equal("(host)$ brctl addif br0 tap0", verdict.Fix!.Tutorial);
        Assert.Equal(("addBridgePort", "br0", "tap0"), (verdict.Fix!.Operations.Single().Kind, verdict.Fix!.Operations.Single().Bridge, verdict.Fix!.Operations.Single().Link));
    }

    [Fact]
    public void Diagnose_TapDown_IfconfigUpFix()
    {
        var verdict = Diagnose(Kernel(tap0Up: false), Guest(), [])!;

        Assert.Equal("tap-down", verdict.Reason);
        Assert.Null(verdict.StoppedAfter?.ToString());
        Assert.Equal("(host)$ ifconfig tap0 up", verdict.Fix!.Tutorial);
    }

    [Fact]
    public void Diagnose_BridgeDown_IfconfigBr0UpFix()
    {
        var verdict = Diagnose(Kernel(br0Up: false), Guest(), ["host/tap0"])!;

        Assert.Equal("bridge-down", verdict.Reason);
        Assert.Equal("host/tap0", verdict.StoppedAfter?.ToString());
        Assert.Equal(("setLinkState", "br0", true), (verdict.Fix!.Operations.Single().Kind, verdict.Fix!.Operations.Single().Link, verdict.Fix!.Operations.Single().Up));
    }

    [Fact]
    public void Diagnose_GatewayAddressMissingOnBr0_AddsItWithTheGuestsPrefix()
    {
        var verdict = Diagnose(Kernel(br0Addresses: []), Guest(), [])!;

        Assert.Equal("no-gateway-address", verdict.Reason);
        Assert.Equal("(host)$ ifconfig br0 192.168.1.1/24", verdict.Fix!.Tutorial);
    }

    [Fact]
    public void Diagnose_GuestWithoutDefaultRoute_RouteAddFixInTheGuest()
    {
        var verdict = Diagnose(Kernel(), Guest(defaultRoute: false), [])!;

        Assert.Equal("no-default-route", verdict.Reason);
        Assert.Equal(("vm1", "route add -net 0.0.0.0/0 gw 192.168.1.1"), (verdict.Fix!.Vm, verdict.Fix.GuestCommand));
        Assert.Equal("(vm1)$ route add -net 0.0.0.0/0 gw 192.168.1.1", verdict.Fix.Tutorial);
    }

    [Fact]
    public void Diagnose_GuestWithoutAddress_IfconfigWithTheWantedAddress()
    {
        var verdict = Diagnose(Kernel(), Guest(address: false), [])!;

        Assert.Equal("no-address", verdict.Reason);
        Assert.Equal("(vm1)$ ifconfig eth0 192.168.1.10/24", verdict.Fix!.Tutorial);
    }

    [Fact]
    public void Diagnose_GuestLinkDown_IfconfigUp()
    {
        var verdict = Diagnose(Kernel(), Guest(linkUp: false), [])!;

        Assert.Equal("link-down", verdict.Reason);
        Assert.Equal("ifconfig eth0 up", verdict.Fix!.GuestCommand);
    }

    [Fact]
    public void Diagnose_NoMasquerade_ArrivedButNoWayBack()
    {
        var verdict = Diagnose(Kernel(masquerade: false), Guest(), Everywhere)!;

        Assert.Equal("no-masquerade", verdict.Reason);
        Assert.Equal("wan/eth0", verdict.StoppedAfter?.ToString());
        Assert.Equal(("addMasquerade", "192.168.1.0/24"), (verdict.Fix!.Operations.Single().Kind, verdict.Fix!.Operations.Single().Source));
    }

    [Fact]
    public void Diagnose_NotRunning_SaysSoFirst()
    {
        var kernel = Kernel();
        var verdict = TraceDiagnosis.Diagnose(new TraceObservation(TracePlan.For(Vm1, Server, kernel, SeedNat), kernel, SeedNat, null, false,
            new HashSet<InterfaceRef>(), false))!;

        Assert.Equal("not-running", verdict.Reason);
    }

    [Fact]
    public void Diagnose_EverythingRightAndArrived_SaysTheRequestArrivedAndThatTheCauseIsUnknownNamingWhatWasChecked()
    {
        var verdict = Diagnose(Kernel(), Guest(), Everywhere)!;

        Assert.Equal(TraceVerdict.Unknown, verdict.Reason);
        Assert.StartsWith("The request arrived (wan/eth0); no reply was seen. Nothing the kernel said explains it, so the cause is unknown. Checked: ", verdict.Sentence);
        Assert.Contains("netfilter's trace (the probe met no rule)", verdict.Sentence);
        Assert.Null(verdict.Fix);
    }

    [Theory]
    [InlineData(null, "icmp")]
    [InlineData("icmp", "icmp")]
    [InlineData("tcp:80", "tcp:80")]
    [InlineData("tcp:65535", "tcp:65535")]
    [InlineData("udp:53", "udp:53")]
    public void Protocol_Valid_Parses(string? text, string expected) =>
        Assert.Equal(expected, TraceProtocol.Parse(text).Protocol!.ToString());

    [Theory]
    [InlineData("tcp")]
    [InlineData("tcp:0")]
    [InlineData("tcp:65536")]
    [InlineData("tcp:+80")]
    [InlineData("tcp: 80")]
    [InlineData("tcp:80\0")]
    [InlineData("udp:54")]
    [InlineData("ICMP")]
    [InlineData("sctp:1")]
    [InlineData("tcp:80;reboot")]
    public void Protocol_Invalid_RefusedWithAReason(string text)
    {
        var (protocol, problem) = TraceProtocol.Parse(text);

        Assert.Null(protocol);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void Protocol_Filters_CatchBothDirectionsBeforeAndAfterNat()
    {
        Assert.Equal("icmp and host 203.0.113.5", TraceProtocol.Icmp.Filter(Server));
        Assert.Equal("tcp port 80 and host 203.0.113.5", TraceProtocol.Parse("tcp:80").Protocol!.Filter(Server));
    }
}

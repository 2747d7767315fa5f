using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class OperationChecksTests
{
    private const string Lab = "chk";
    private static readonly string Host = new LabNamespaces(Lab).Host;

    private static LinkState Link(string name, string kind, string? master = null, params string[] addresses) => new()
    {
        Name = name,
        Kind = kind,
        AdminUp = true,
        OperState = "UP",
        Master = master,
        Addresses = addresses.Select(InterfaceAddress.Parse).ToList(),
    };

    private static Topology Snapshot() => new(Lab, DateTimeOffset.UnixEpoch,
    [
        new NamespaceState(Host, NamespaceRole.Host, true,
            [Link("br0", "bridge", null, "192.168.1.1/24"), Link("tap0", "tun", "br0"), Link("tap1", "tun"), Link("ens160", "veth", null, "10.180.13.232/24")],
            [new RouteState("default", "10.180.13.1", "ens160", null, null)],
            true,
            [new NatRule("POSTROUTING", "192.168.1.0/24", "192.168.1.0/24", null, "MASQUERADE", "netdash:chk", "-A POSTROUTING …")]),
        NamespaceState.Missing(new LabNamespaces(Lab).Wan, NamespaceRole.Wan),
        NamespaceState.Missing(new LabNamespaces(Lab).Pc, NamespaceRole.Pc),
    ]);

    private static readonly LabDefinition WithVm = LabFileLoader.Parse("""
        name: chk
        vms:
          - name: vm3
            mac: 52:54:98:76:54:33
            tap: tap7
        """, "test");

    public static TheoryData<LabOperation, string, string> Refused => new()
    {
        { new CreateBridge(Host, "br0"), "bridge", "br0 is already there" },
        { new CreateBridge(Host, "tap1"), "bridge", "'tap1' is already a tun link" },
        { new CreateBridge(Host, "tap7"), "bridge", "'tap7' is vm3's tap device" },
        { new DeleteBridge(Host, "br9"), "bridge", "there is no bridge named br9" },
        { new AddBridgePort(Host, "br0", "tap0"), "link", "tap0 is already a port of br0" },
        { new AddBridgePort(Host, "br9", "tap1"), "bridge", "there is no bridge named br9" },
        { new AddBridgePort(Host, "br0", "tap5"), "link", "there is no link named tap5" },
        { new RemoveBridgePort(Host, "br0", "tap1"), "link", "tap1 is not a port of br0" },
        { new AddAddress(Host, "br0", InterfaceAddress.Parse("192.168.1.1/24")), "address", "br0 has 192.168.1.1/24 already" },
        { new RemoveAddress(Host, "br0", InterfaceAddress.Parse("192.168.9.1/24")), "address", "br0 has no address 192.168.9.1/24" },
        { new AddMasquerade(Host, Subnet.Parse("192.168.1.0/24"), null, "netdash:chk"), "source", "a MASQUERADE rule for 192.168.1.0/24 is already there" },
        { new RemoveMasquerade(Host, Subnet.Parse("10.0.0.0/8"), null, "netdash:chk"), "source", "there is no MASQUERADE rule for 10.0.0.0/8" },
        { new AddRoute(Host, Subnet.Parse("0.0.0.0/0"), System.Net.IPAddress.Parse("10.180.13.1")), "to", "a route to 0.0.0.0/0 via 10.180.13.1 is already there" },
        { new SetLinkState(new LabNamespaces(Lab).Pc, "eth0", true), "namespace", "does not exist" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Problem_AlreadyThereOrMissing_NamesTheField(LabOperation operation, string field, string message)
    {
        var problem = OperationChecks.Problem(operation, Snapshot(), WithVm);

        Assert.NotNull(problem);
        Assert.Equal(field, problem.Field);
        Assert.Contains(message, problem.Message);
    }

    public static TheoryData<LabOperation> Allowed => new()
    {
        new CreateBridge(Host, "br1"),
        new AddBridgePort(Host, "br0", "tap1"),
        new RemoveBridgePort(Host, "br0", "tap0"),
        new AddAddress(Host, "tap1", InterfaceAddress.Parse("192.168.2.1/24")),
        new AddMasquerade(Host, Subnet.Parse("192.168.2.0/24"), null, "netdash:chk"),
        new SetForwarding(Host, false),
        new DeleteBridge(Host, "br0"),
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Problem_SomethingNew_None(LabOperation operation) => Assert.Null(OperationChecks.Problem(operation, Snapshot(), WithVm));

    [Theory]
    [InlineData("192.168.1.10/24", "192.168.1.1", null)]
    [InlineData("192.168.1.10/24", "192.168.2.1", "is not inside eth0's subnet 192.168.1.0/24")]
    [InlineData("192.168.1.10/24", "192.168.1.10", "cannot be the guest's own address")]
    [InlineData("10.0.0.5/8", "10.200.0.1", null)]
    public void CheckGatewayInSubnet_GatewayOutsideTheLan_Refused(string address, string gateway, string? problem)
    {
        var result = InputRules.CheckGatewayInSubnet(InterfaceAddress.Parse(address), System.Net.IPAddress.Parse(gateway));

        if (problem is null) Assert.Null(result);
        else Assert.Contains(problem, result);
    }

    [Fact]
    public void LabFile_GatewayOutsideTheVmsSubnet_RefusedNamingTheField()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse("""
            name: gw
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
                address: 192.168.1.10/24
                gateway: 192.168.7.1
            """, "test"));

        Assert.Contains(error.Problems, p => p.Field == "vms[0].gateway" && p.Message.Contains("not inside eth0's subnet"));
    }
}

public sealed class FailureTextTests
{
    [Theory]
    [InlineData("RTNETLINK answers: File exists", "ip failed (exit 2): RTNETLINK answers: File exists. It is already there")]
    [InlineData("qemu-system-x86_64: could not configure /dev/net/tun (tap1): Device or resource busy\nmore", "The tap is in use by another VM or process")]
    [InlineData("", "ip failed (exit 2): (no message).")]
    public void Sentence_KnownComplaint_SaysWhatToDo(string stderr, string expected) =>
        Assert.Contains(expected, FailureText.Sentence("/usr/sbin/ip", 2, stderr));

    [Fact]
    public void Of_HostCommandFailure_SentenceWithTheCommandAndStderrKeptApart()
    {
        var failure = new NetDashboard.Lab.Host.HostCommandException(new NetDashboard.Lab.Host.HostCommand("ip", ["-n", "ns", "link", "add", "br0", "type", "bridge"]), 2,
            "RTNETLINK answers: File exists");

        var result = FailureText.Of(failure);

        Assert.Equal(ActionOutcome.Failed, result.Outcome);
        Assert.DoesNotContain("-n ns", result.Message);
        Assert.Contains("ip -n ns link add br0 type bridge", result.Output);
        Assert.Contains("RTNETLINK answers: File exists", result.Output);
    }

    [Fact]
    public void Of_ProgramRunInANamespace_SentenceNamesTheProgramNotIp()
    {
        var failure = new NetDashboard.Lab.Host.HostCommandException(new NetDashboard.Lab.Host.HostCommand("/usr/sbin/ip",
            ["netns", "exec", "netdash-x-host", "/usr/bin/qemu-system-x86_64", "-name", "vm1"]), 1, "qemu-system-x86_64: -drive file=x: Image is not in qcow2 format");

        var result = FailureText.Of(failure);

        Assert.StartsWith("qemu-system-x86_64 failed (exit 1): qemu-system-x86_64: -drive", result.Message);
        Assert.Contains("ip netns exec netdash-x-host /usr/bin/qemu-system-x86_64", result.Output);
    }
}

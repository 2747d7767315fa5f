using System.Text.Json;
using NetDashboard.Lab.Services;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Observe mode on a real libvirt host (<see cref="LibvirtStandIn"/>: libvirtd, its default network and a booted
/// domain, all inside a namespace of their own): the network is recognised and labelled with libvirt's own dnsmasq,
/// vnet0 is joined to virbr0 and to the QEMU libvirt handed it to, libvirt's NAT chains are listed, and nothing in the
/// namespace changed across the observation.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu,libvirt")]
public sealed class ObserveLibvirtTests(LibvirtStandIn standIn) : IClassFixture<LibvirtStandIn>
{
    [Fact]
    public async Task Guest_BootedByLibvirtOnTheDefaultNetwork_PingsTheBridgeAndTheNamespaceReachesItThroughVnet0()
    {
        var fromGuest = await GuestAgentClient.RunAsync(standIn.AgentSocket, $"ping -c 1 -W 3 {LibvirtStandIn.BridgeAddress}", TimeSpan.FromSeconds(30),
            CancellationToken.None);
        await standIn.InAsync("ping", "-c", "1", "-W", "3", LibvirtStandIn.GuestAddress);
        var neighbours = await standIn.InAsync("ip", "-j", "neigh", "show", "dev", "virbr0");
        var fdb = await standIn.InAsync("bridge", "-j", "fdb", "show", "br", "virbr0");

        Assert.True(fromGuest.ExitCode == 0, fromGuest.Output);
        using (var json = JsonDocument.Parse(neighbours))
            Assert.Contains(json.RootElement.EnumerateArray(), n => n.GetProperty("dst").GetString() == LibvirtStandIn.GuestAddress
                && n.GetProperty("lladdr").GetString() == LibvirtStandIn.GuestMac);
        // The guest's frames came in through the tap libvirt made for it.
        using (var json = JsonDocument.Parse(fdb))
            Assert.Contains(json.RootElement.EnumerateArray(), e => e.GetProperty("mac").GetString() == LibvirtStandIn.GuestMac
                && e.GetProperty("ifname").GetString() == "vnet0");
    }

    [Fact]
    public async Task Observe_RealLibvirtDefaultNetworkWithARunningDomain_LabelledJoinedToQemuAndNothingChanged()
    {
        var ns = standIn.Namespace;
        var before = await NamespaceSnapshot.TakeAsync(ns);
        await using var lab = new TestLab("obs");
        var composition = LabComposition.Build(lab.Composition.Settings with { ObserveNamespace = ns });

        var (result, host) = await composition.Observation.ObserveAsync();
        var after = await NamespaceSnapshot.TakeAsync(ns);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal([ns], host!.Namespaces.Select(n => n.Name));
        var observed = host.Namespaces[0];
        Assert.True(observed.IsTarget);
        var stack = Assert.Single(host.Stacks);
        Assert.Equal(("libvirt", $"libvirt network default: virbr0, NAT 192.168.122.0/24, dnsmasq (pid {standIn.DnsmasqPid}), vnet0 ({LibvirtStandIn.Domain})"),
            (stack.Kind, stack.Label));
        Assert.Equal(["virbr0", "vnet0"], stack.Links);
        var bridge = observed.Link("virbr0")!;
        Assert.Equal("bridge", bridge.Kind);
        Assert.Equal(["192.168.122.1/24"], bridge.Addresses);
        var tap = observed.Link("vnet0")!;
        Assert.Equal(("tun", "virbr0", (int?)standIn.QemuPid, "qemu-system-x86", LibvirtStandIn.Domain),
            (tap.Kind, tap.Master, tap.Holder?.Pid, tap.Holder?.Program, tap.Holder?.Guest));
        Assert.Contains("ip nat LIBVIRT_PRT", observed.Chains);
        Assert.Contains("ip filter LIBVIRT_FWO", observed.Chains);
        Assert.True(observed.Forwarding);
        Assert.Contains($"libvirtd {standIn.DaemonPid}", observed.Processes);
        Assert.Contains($"dnsmasq {standIn.DnsmasqPid}", observed.Processes);
        Assert.Contains($"qemu-system-x86 {standIn.QemuPid}", observed.Processes);
        Assert.Equal(before, after);
    }
}

using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

/// <summary>What the forms, the API and `vm add` offer: never a value the lab file or the kernel has taken already.</summary>
public sealed class LabSuggestionsTests
{
    private static readonly LabDefinition SeedNat = LabFileReader.LoadFile(TestFiles.Lab("seed-nat.yaml"));
    private static readonly LabDefinition SeedBridge = LabFileReader.LoadFile(TestFiles.Lab("seed-bridge.yaml"));

    private static LinkState Link(string name, string kind, string? master = null, params string[] addresses) => new()
    {
        Name = name, Kind = kind, Master = master, AdminUp = true, Addresses = [.. addresses.Select(InterfaceAddress.Parse)],
    };

    private static Topology Host(string lab, IEnumerable<LinkState> links, params NatRule[] rules) => new(lab, DateTimeOffset.UnixEpoch,
        [new NamespaceState(new LabNamespaces(lab).Host, NamespaceRole.Host, true, [.. links], [], true, rules)]);

    private static readonly NatRule Masquerade192 = new("POSTROUTING", "192.168.1.0/24", "192.168.1.0/24", null, "MASQUERADE", null, "-A POSTROUTING …");

    private static Topology SeedNatKernel(params LinkState[] more) => Host(SeedNat.Name,
        [Link("br0", "bridge", null, "192.168.1.1/24"), Link("tap0", "tun", "br0"), Link("tap1", "tun", "br0"), .. more], Masquerade192);

    [Fact]
    public void Vm_SeedNat_NextNameTapBridgeAddressAndTheGuestsGateway()
    {
        var suggestion = LabSuggestions.Vm(SeedNat, SeedNatKernel());

        Assert.Equal(("vm3", "tap2", "br0", "192.168.1.12/24", "192.168.1.1"),
            (suggestion.Name, suggestion.Tap, suggestion.Bridge, suggestion.Address, suggestion.Gateway));
    }

    [Fact]
    public void Vm_AfterVm3TookTap2AndItsAddress_MovesOnToTheNextFree()
    {
        var vm3 = new VmDefinition { Name = "vm3", Mac = MacAddress.Parse("52:54:00:00:00:03"), Tap = "tap2", Address = InterfaceAddress.Parse("192.168.1.12/24") };

        var suggestion = LabSuggestions.Vm(SeedNat with { Vms = [.. SeedNat.Vms, vm3] }, SeedNatKernel(Link("tap2", "tun", "br0")));

        Assert.Equal(("vm4", "tap3", "192.168.1.13/24"), (suggestion.Name, suggestion.Tap, suggestion.Address));
    }

    [Fact]
    public void Vm_TapTakenInTheKernelByNoVm_SkipsIt()
    {
        var suggestion = LabSuggestions.Vm(SeedNat, SeedNatKernel(Link("tap2", "tun")));

        Assert.Equal("tap3", suggestion.Tap);
    }

    [Fact]
    public void Vm_BridgeWithoutAddress_GatewayIsWhatTheOtherGuestsShareOrNone()
    {
        var kernel = Host(SeedBridge.Name, [Link("br0", "bridge"), Link("tap0", "tun", "br0"), Link("tap1", "tun", "br0")]);

        var suggestion = LabSuggestions.Vm(SeedBridge, kernel);

        Assert.Equal("br0", suggestion.Bridge);
        Assert.Equal("192.168.1.12/24", suggestion.Address);
        Assert.Equal("", suggestion.Gateway);
    }

    [Fact]
    public void Vm_LabWithoutBridge_NoneAndNoAddress()
    {
        var lab = new LabDefinition { Name = "empty" };

        var suggestion = LabSuggestions.Vm(lab, Host("empty", [Link("ens160", "veth", null, "10.180.13.232/24")]));

        Assert.Equal((LabSuggestions.None, "", ""), (suggestion.Bridge, suggestion.Address, suggestion.Gateway));
    }

    [Fact]
    public void BridgeName_Br0Exists_Br1()
    {
        Assert.Equal("br1", LabSuggestions.BridgeName(SeedNatKernel()));
        Assert.Equal("br0", LabSuggestions.BridgeName(null));
    }

    [Fact]
    public void MasqueradeSource_SubnetAlreadyMasqueraded_OnlyABridgeSubnetWithoutARule()
    {
        Assert.Equal("", LabSuggestions.MasqueradeSource(SeedNatKernel()));
        Assert.Equal("10.9.0.0/24", LabSuggestions.MasqueradeSource(SeedNatKernel(Link("br1", "bridge", null, "10.9.0.1/24"))));
    }
}

using System.Buffers.Binary;
using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>
/// What the forms offer, the same for the page, the API and the CLI, and never something taken already (in the lab file
/// or the kernel). A new VM: the next free vmN and tapN, the bridge the lab's other taps sit in, the next free address of
/// that bridge's subnet and the gateway the other guests use. A new bridge: the next free brN. NAT: a bridge's subnet
/// that no MASQUERADE rule covers yet.
/// </summary>
public static class LabSuggestions
{
    /// <summary>The word that asks for no bridge (or no address, no gateway).</summary>
    public const string None = "none";

    public static NewVmRequest Vm(LabDefinition lab, Topology? kernel)
    {
        var host = kernel?.Find(NamespaceRole.Host);
        var n = Enumerable.Range(1, 999).First(i => lab.Vms.All(v => v.Name != $"vm{i}"));
        var t = Enumerable.Range(0, 999).First(i => lab.Vms.All(v => v.Tap != $"tap{i}") && host?.Link($"tap{i}") is null);
        var bridge = BridgeOf(lab, host);
        var (address, gateway) = bridge is null ? (null, null) : AddressOn(lab, host, bridge);
        return new NewVmRequest
        {
            Name = $"vm{n}",
            Tap = $"tap{t}",
            Bridge = bridge ?? None,
            Address = address?.ToString() ?? "",
            Gateway = gateway?.ToString() ?? "",
        };
    }

    /// <summary>The bridges a new VM's tap may join: the lab file's and the host's in the kernel, by name.</summary>
    public static IReadOnlyList<string> Bridges(LabDefinition? lab, Topology? kernel) =>
        (lab?.Host.Bridges.Select(b => b.Name) ?? [])
        .Union(kernel?.Find(NamespaceRole.Host)?.Links.Where(l => l.Kind == "bridge").Select(l => l.Name) ?? [])
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>The first brN the host does not have.</summary>
    public static string BridgeName(Topology? kernel) =>
        $"br{Enumerable.Range(0, 999).First(i => kernel?.Find(NamespaceRole.Host)?.Link($"br{i}") is null)}";

    /// <summary>The subnet of a host bridge's address that no MASQUERADE rule has as its source yet; "" when each has one.</summary>
    public static string MasqueradeSource(Topology? kernel)
    {
        var host = kernel?.Find(NamespaceRole.Host);
        var covered = host?.NatRules.Where(r => r.IsMasquerade).Select(r => r.Source).ToHashSet() ?? [];
        return host?.Links.Where(l => l.Kind == "bridge")
            .SelectMany(l => l.Addresses).Where(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            .Select(a => a.Network.ToString())
            .FirstOrDefault(subnet => !covered.Contains(subnet)) ?? "";
    }

    /// <summary>The bridge most of the lab's taps sit in now (the kernel), else the one the lab file puts them in.</summary>
    public static string? BridgeOf(LabDefinition lab, NamespaceState? host)
    {
        var taps = lab.Vms.Select(v => v.Tap).ToHashSet();
        var inKernel = host?.Links
            .Where(l => taps.Contains(l.Name) && l.Master is not null && host.Link(l.Master)?.Kind == "bridge")
            .GroupBy(l => l.Master!)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).FirstOrDefault();
        return inKernel ?? lab.Host.Bridges.FirstOrDefault(b => b.Ports.Any(taps.Contains))?.Name
            ?? (lab.Host.Bridges.Count == 1 ? lab.Host.Bridges[0].Name : null);
    }

    // The subnet is the bridge's own address's, else the other guests' on that bridge; the gateway is the bridge's
    // address (it routes, as in the NAT part) or else the one gateway the other guests share.
    private static (InterfaceAddress? Address, IPAddress? Gateway) AddressOn(LabDefinition lab, NamespaceState? host, string bridge)
    {
        var bridgeAddress = host?.Link(bridge)?.Addresses.FirstOrDefault(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? lab.Host.Bridges.FirstOrDefault(b => b.Name == bridge)?.Addresses.FirstOrDefault();
        var ports = lab.Host.Bridges.FirstOrDefault(b => b.Name == bridge)?.Ports ?? [];
        var guests = lab.Vms.Where(v => v.Address is not null && (ports.Contains(v.Tap) || host?.Link(v.Tap)?.Master == bridge)).ToList();
        var sample = bridgeAddress ?? guests.Select(v => v.Address).FirstOrDefault();
        if (sample is null) return (null, null);
        var subnet = sample.Network;
        var taken = new HashSet<IPAddress>(lab.Vms.Where(v => v.Address is not null).Select(v => v.Address!.Address))
        {
            lab.World.PcAddress.Address,
        };
        foreach (var address in (host?.Links ?? []).SelectMany(l => l.Addresses).Concat(lab.Host.Bridges.SelectMany(b => b.Addresses)))
            taken.Add(address.Address);
        var start = guests.Count > 0 ? guests.Max(v => ToNumber(v.Address!.Address)) + 1 : ToNumber(subnet.Network.BaseAddress) + 10;
        var last = ToNumber(subnet.Network.BaseAddress) + (1L << (32 - subnet.Network.PrefixLength)) - 2;
        IPAddress? free = null;
        for (var candidate = start; candidate <= last && free is null; candidate++)
        {
            var ip = FromNumber(candidate);
            if (!taken.Contains(ip)) free = ip;
        }
        if (free is null) return (null, null);
        var gateway = bridgeAddress?.Address
            ?? (guests.Select(v => v.Gateway).Distinct().ToList() is [{ } shared] ? shared : null);
        return (new InterfaceAddress(free, subnet.Network.PrefixLength), gateway);
    }

    private static long ToNumber(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress FromNumber(long n)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)n);
        return new IPAddress(bytes);
    }
}

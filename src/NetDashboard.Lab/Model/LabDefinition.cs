using System.Net;

namespace NetDashboard.Lab.Model;

/// <summary>The three namespaces of the sandbox world and the part each plays.</summary>
public enum NamespaceRole { Host, Wan, Pc }

public static class NamespaceRoles
{
    /// <summary>"host", "wan" or "pc": how a role is written in namespace names, commands' prompts, URLs and pane names.</summary>
    public static string Word(this NamespaceRole role) => role switch
    {
        NamespaceRole.Host => "host",
        NamespaceRole.Wan => "wan",
        _ => "pc",
    };
}

/// <summary>The namespace names of one lab: netdash-LAB-host, -wan, -pc.</summary>
public sealed record LabNamespaces(string Lab)
{
    public const string Prefix = "netdash-";

    public string Host => NameOf(NamespaceRole.Host);
    public string Wan => NameOf(NamespaceRole.Wan);
    public string Pc => NameOf(NamespaceRole.Pc);

    public IReadOnlyList<string> All => [Host, Wan, Pc];

    public string NameOf(NamespaceRole role) => $"{Prefix}{Lab}-{role.Word()}";

    /// <summary>The role of a namespace of this lab, or null when the name is not one of its three.</summary>
    public NamespaceRole? RoleOf(string ns) =>
        Enum.GetValues<NamespaceRole>().Cast<NamespaceRole?>().FirstOrDefault(r => NameOf(r!.Value) == ns);
}

/// <summary>
/// The fixed cabling of the sandbox world; addresses default to the tutorial's.
/// host ens160 ↔ wan eth0 (the uplink) and host ens192 ↔ pc eth0 (the LAN to the external PC).
/// </summary>
public sealed record WorldDefinition
{
    public const string UplinkName = "ens160";
    public const string LanNicName = "ens192";
    public const string PeerName = "eth0";

    public InterfaceAddress UplinkAddress { get; init; } = InterfaceAddress.Parse("10.180.13.232/24");
    public IPAddress UplinkGateway { get; init; } = IPAddress.Parse("10.180.13.1");
    public IPAddress InternetServer { get; init; } = IPAddress.Parse("203.0.113.5");
    public InterfaceAddress PcAddress { get; init; } = InterfaceAddress.Parse("192.168.1.3/24");
    public IPAddress? PcGateway { get; init; }

    /// <summary>The wan's side of the uplink: the gateway address with the uplink's prefix length.</summary>
    public InterfaceAddress WanAddress => new(UplinkGateway, UplinkAddress.PrefixLength);
}

public sealed record BridgeDefinition(string Name, IReadOnlyList<string> Ports, IReadOnlyList<InterfaceAddress> Addresses, bool Up = true);

/// <summary>Addresses and state of a host interface that is not a bridge (a tap, ens160, ens192).</summary>
public sealed record InterfaceDefinition(string Name, IReadOnlyList<InterfaceAddress> Addresses, bool Up = true);

/// <summary>iptables -t nat -A POSTROUTING -s SOURCE ! -d SOURCE [-o OUT] -j MASQUERADE.</summary>
public sealed record MasqueradeDefinition(Subnet Source, string? OutInterface = null);

public sealed record RouteDefinition(Subnet Destination, IPAddress Gateway);

public sealed record HostDefinition
{
    public bool Forwarding { get; init; }
    public IReadOnlyList<BridgeDefinition> Bridges { get; init; } = [];
    public IReadOnlyList<InterfaceDefinition> Interfaces { get; init; } = [];
    public IReadOnlyList<MasqueradeDefinition> Masquerade { get; init; } = [];
    public IReadOnlyList<RouteDefinition> Routes { get; init; } = [];
}

public enum NicModel { E1000, VirtioNet }

public sealed record VmDefinition
{
    public const string BuiltinImage = "builtin";

    public required string Name { get; init; }
    public required MacAddress Mac { get; init; }
    public required string Tap { get; init; }
    public NicModel Nic { get; init; } = NicModel.E1000;
    public int MemoryMb { get; init; } = 256;
    /// <summary>"builtin" for the built-in guest, or an absolute path to a qcow2/raw disk image.</summary>
    public string Image { get; init; } = BuiltinImage;
    public InterfaceAddress? Address { get; init; }
    public IPAddress? Gateway { get; init; }

    public bool IsBuiltin => Image == BuiltinImage;
}

/// <summary>A lab file, parsed and validated: the desired state of one sandbox world.</summary>
public sealed record LabDefinition
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public WorldDefinition World { get; init; } = new();
    public HostDefinition Host { get; init; } = new();
    public IReadOnlyList<VmDefinition> Vms { get; init; } = [];

    public LabNamespaces Namespaces => new(Name);

    public VmDefinition? Vm(string name) => Vms.FirstOrDefault(v => v.Name == name);

    /// <summary>The sentence for a VM name this lab does not have.</summary>
    public string NoSuchVm(string name) =>
        $"lab {Name} has no VM named '{name}' (it has: {(Vms.Count == 0 ? "none" : string.Join(", ", Vms.Select(v => v.Name)))})";
}

using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace NetDashboard.Lab.Model;

public static partial class LabFileLoader
{
    private static readonly ISerializer Serializer = new StaticSerializerBuilder(new LabFileYamlContext())
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .Build();

    /// <summary>A lab definition as a lab file that <see cref="Parse"/> reads back to the same definition.</summary>
    public static string ToYaml(LabDefinition lab)
    {
        var defaults = new WorldDefinition();
        var world = lab.World;
        var file = new LabFile
        {
            Name = lab.Name,
            Description = string.IsNullOrEmpty(lab.Description) ? null : lab.Description,
            World = new WorldFile
            {
                Uplink = world.UplinkAddress == defaults.UplinkAddress ? null : world.UplinkAddress.ToString(),
                UplinkGateway = world.UplinkGateway.Equals(defaults.UplinkGateway) ? null : world.UplinkGateway.ToString(),
                InternetServer = world.InternetServer.Equals(defaults.InternetServer) ? null : world.InternetServer.ToString(),
                Pc = world.PcAddress == defaults.PcAddress ? null : world.PcAddress.ToString(),
                PcGateway = world.PcGateway?.ToString(),
            },
            Host = new HostFile
            {
                Forwarding = lab.Host.Forwarding ? true : null,
                Bridges = lab.Host.Bridges.Select(b => new BridgeFile
                {
                    Name = b.Name,
                    Ports = [.. b.Ports],
                    Addresses = [.. b.Addresses.Select(a => a.ToString())],
                    Up = b.Up ? null : false,
                }).ToList(),
                Interfaces = lab.Host.Interfaces.Select(i => new InterfaceFile
                {
                    Name = i.Name,
                    Addresses = [.. i.Addresses.Select(a => a.ToString())],
                    Up = i.Up ? null : false,
                }).ToList(),
                Masquerade = lab.Host.Masquerade.Select(m => new MasqueradeFile { Source = m.Source.ToString(), OutInterface = m.OutInterface }).ToList(),
                Routes = lab.Host.Routes.Select(r => new RouteFile { To = r.Destination.ToString(), Via = r.Gateway.ToString() }).ToList(),
            },
            Vms = lab.Vms.Select(vm => new VmFile
            {
                Name = vm.Name,
                Mac = vm.Mac.ToString(),
                Tap = vm.Tap,
                Nic = vm.Nic == NicModel.VirtioNet ? "virtio-net" : "e1000",
                Memory = vm.MemoryMb,
                Image = vm.Image,
                Address = vm.Address?.ToString(),
                Gateway = vm.Gateway?.ToString(),
            }).ToList(),
        };
        return Serializer.Serialize(file);
    }

    /// <summary>A unicast, locally administered MAC (52:54:…) that no VM of the lab has yet.</summary>
    public static MacAddress NewMac(LabDefinition lab)
    {
        Span<byte> bytes = stackalloc byte[6];
        while (true)
        {
            Random.Shared.NextBytes(bytes);
            bytes[0] = 0x52;
            bytes[1] = 0x54;
            var mac = MacAddress.FromBytes(bytes);
            if (lab.Vms.All(vm => vm.Mac != mac)) return mac;
        }
    }
}

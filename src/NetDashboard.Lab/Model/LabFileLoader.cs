using System.Net;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Reads a lab file (YAML, schema in labs/README.md) and validates every value,
/// reporting all problems at once with the field that holds each.
/// </summary>
public static partial class LabFileLoader
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    public static LabDefinition LoadFile(string path, string? nameOverride = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabFileException(path, [new LabFileProblem("file", e.Message)]);
        }
        return Parse(text, path, nameOverride);
    }

    public static LabDefinition Parse(string yaml, string source, string? nameOverride = null)
    {
        LabFile file;
        try
        {
            file = Deserializer.Deserialize<LabFile?>(yaml) ?? new LabFile();
        }
        catch (YamlException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            throw new LabFileException(source, [new LabFileProblem($"line {e.Start.Line}, column {e.Start.Column}", reason)]);
        }
        var problems = new List<LabFileProblem>();
        var definition = new Converter(problems).Convert(file, nameOverride);
        if (problems.Count > 0)
            throw new LabFileException(source, problems);
        return definition;
    }

    private sealed class Converter(List<LabFileProblem> problems)
    {
        public LabDefinition Convert(LabFile file, string? nameOverride)
        {
            var name = nameOverride ?? file.Name;
            Check(nameOverride is null ? "name" : "--name", name, InputRules.CheckLabName);
            var world = ConvertWorld(file.World ?? new WorldFile());
            var vms = (file.Vms ?? []).Select((vm, i) => ConvertVm(vm, $"vms[{i}]")).OfType<VmDefinition>().ToList();
            // Taps of every VM entry, even one with another bad value, so its tap is not also reported as unknown.
            var taps = (file.Vms ?? []).Select(vm => vm.Tap).OfType<string>().ToHashSet();
            var host = ConvertHost(file.Host ?? new HostFile(), taps);
            CheckVmsUnique(vms);
            return new LabDefinition
            {
                Name = name ?? "",
                Description = file.Description ?? "",
                World = world,
                Host = host,
                Vms = vms,
            };
        }

        private WorldDefinition ConvertWorld(WorldFile world)
        {
            var defaults = new WorldDefinition();
            return new WorldDefinition
            {
                UplinkAddress = Address("world.uplink", world.Uplink) ?? defaults.UplinkAddress,
                UplinkGateway = Ip("world.uplinkGateway", world.UplinkGateway) ?? defaults.UplinkGateway,
                InternetServer = Ip("world.internetServer", world.InternetServer) ?? defaults.InternetServer,
                PcAddress = Address("world.pc", world.Pc) ?? defaults.PcAddress,
                PcGateway = Ip("world.pcGateway", world.PcGateway),
            };
        }

        private HostDefinition ConvertHost(HostFile host, IReadOnlySet<string> taps)
        {
            var known = new HashSet<string>(taps) { WorldDefinition.UplinkName, WorldDefinition.LanNicName };
            var bridges = new List<BridgeDefinition>();
            var portOwners = new Dictionary<string, string>();
            foreach (var (bridge, i) in (host.Bridges ?? []).Select((b, i) => (b, i)))
            {
                var field = $"host.bridges[{i}]";
                // A bad name does not stop the checks of the bridge's other fields: every problem is told at once.
                var nameOk = Check($"{field}.name", bridge.Name, InputRules.CheckInterfaceName);
                if (nameOk && (known.Contains(bridge.Name!) || bridges.Any(b => b.Name == bridge.Name)))
                    problems.Add(new($"{field}.name", $"'{bridge.Name}' is already the name of another interface in the host"));
                var ports = new List<string>();
                foreach (var (port, j) in (bridge.Ports ?? []).Select((p, j) => (p, j)))
                {
                    var portField = $"{field}.ports[{j}]";
                    if (!Check(portField, port, InputRules.CheckInterfaceName)) continue;
                    if (!known.Contains(port!))
                        problems.Add(new(portField, $"'{port}' is not ens160, ens192 or the tap of a VM in this lab"));
                    else if (portOwners.TryGetValue(port!, out var owner))
                        problems.Add(new(portField, $"'{port}' is already a port of {owner}; an interface joins one bridge at most"));
                    else
                    {
                        portOwners[port!] = bridge.Name ?? field;
                        ports.Add(port!);
                    }
                }
                var addresses = Addresses($"{field}.addresses", bridge.Addresses);
                if (nameOk)
                    bridges.Add(new BridgeDefinition(bridge.Name!, ports, addresses, bridge.Up ?? true));
            }

            var interfaces = new List<InterfaceDefinition>();
            foreach (var (item, i) in (host.Interfaces ?? []).Select((x, i) => (x, i)))
            {
                var field = $"host.interfaces[{i}]";
                if (!Check($"{field}.name", item.Name, InputRules.CheckInterfaceName)) continue;
                if (!known.Contains(item.Name!))
                    problems.Add(new($"{field}.name", $"'{item.Name}' is not ens160, ens192 or the tap of a VM in this lab (bridges are set under host.bridges)"));
                interfaces.Add(new InterfaceDefinition(item.Name!, Addresses($"{field}.addresses", item.Addresses), item.Up ?? true));
            }

            var masquerade = new List<MasqueradeDefinition>();
            foreach (var (rule, i) in (host.Masquerade ?? []).Select((x, i) => (x, i)))
            {
                var field = $"host.masquerade[{i}]";
                var source = SubnetOf($"{field}.source", rule.Source, required: true);
                if (rule.OutInterface is not null)
                    Check($"{field}.outInterface", rule.OutInterface, InputRules.CheckInterfaceName);
                if (source is not null)
                    masquerade.Add(new MasqueradeDefinition(source, rule.OutInterface));
            }

            var routes = new List<RouteDefinition>();
            foreach (var (route, i) in (host.Routes ?? []).Select((x, i) => (x, i)))
            {
                var field = $"host.routes[{i}]";
                var to = SubnetOf($"{field}.to", route.To, required: true);
                var via = Ip($"{field}.via", route.Via, required: true);
                if (to is not null && via is not null)
                    routes.Add(new RouteDefinition(to, via));
            }

            return new HostDefinition
            {
                Forwarding = host.Forwarding ?? false,
                Bridges = bridges,
                Interfaces = interfaces,
                Masquerade = masquerade,
                Routes = routes,
            };
        }

        private VmDefinition? ConvertVm(VmFile vm, string field)
        {
            var ok = Check($"{field}.name", vm.Name, InputRules.CheckVmName);
            ok &= Check($"{field}.tap", vm.Tap, InputRules.CheckInterfaceName);
            MacAddress? mac = null;
            if (vm.Mac is null)
                problems.Add(new($"{field}.mac", "is required (each guest needs its own MAC address)"));
            else if (Check($"{field}.mac", vm.Mac, InputRules.CheckMac))
                mac = MacAddress.Parse(vm.Mac);
            var nic = NicModel.E1000;
            switch (vm.Nic)
            {
                case null or "e1000": break;
                case "virtio-net" or "virtio": nic = NicModel.VirtioNet; break;
                default:
                    problems.Add(new($"{field}.nic", $"'{vm.Nic}' is not a NIC model; use e1000 or virtio-net"));
                    ok = false;
                    break;
            }
            var memory = vm.Memory ?? 256;
            if (memory is < 64 or > 8192)
            {
                problems.Add(new($"{field}.memory", "memory is in MiB, between 64 and 8192"));
                ok = false;
            }
            var image = vm.Image ?? VmDefinition.BuiltinImage;
            if (image != VmDefinition.BuiltinImage && (!Path.IsPathFullyQualified(image) || image.Contains(',') || image.Any(char.IsControl)))
            {
                problems.Add(new($"{field}.image", "an image is 'builtin' or an absolute path to a qcow2 or raw disk image, without commas"));
                ok = false;
            }
            var address = vm.Address is null ? null : Address($"{field}.address", vm.Address);
            var gateway = Ip($"{field}.gateway", vm.Gateway);
            if (address is not null && gateway is not null && InputRules.CheckGatewayInSubnet(address, gateway) is { } outside)
                problems.Add(new($"{field}.gateway", outside));
            if (!ok || mac is null) return null;
            return new VmDefinition
            {
                Name = vm.Name!,
                Mac = mac,
                Tap = vm.Tap!,
                Nic = nic,
                MemoryMb = memory,
                Image = image,
                Address = address,
                Gateway = gateway,
            };
        }

        private void CheckVmsUnique(IReadOnlyList<VmDefinition> vms)
        {
            foreach (var group in vms.GroupBy(v => v.Name).Where(g => g.Count() > 1))
                problems.Add(new("vms", $"two VMs are named '{group.Key}'; each VM needs its own name"));
            foreach (var group in vms.GroupBy(v => v.Tap).Where(g => g.Count() > 1))
                problems.Add(new("vms", $"VMs {string.Join(" and ", group.Select(v => v.Name))} share tap '{group.Key}'; each VM needs its own tap"));
            foreach (var group in vms.GroupBy(v => v.Mac).Where(g => g.Count() > 1))
                problems.Add(new("vms", $"VMs {string.Join(" and ", group.Select(v => v.Name))} share MAC {group.Key}; "
                    + "two guests with one MAC confuse the bridge and each other, so give each its own (the tutorial uses 52:54:98:76:54:30 and :31)"));
            foreach (var vm in vms.Where(v => v.Tap is WorldDefinition.UplinkName or WorldDefinition.LanNicName))
                problems.Add(new("vms", $"VM {vm.Name}'s tap cannot be named {vm.Tap}: that is a host NIC"));
        }

        private bool Check(string field, string? value, Func<string?, string?> rule)
        {
            if (LabFileProblem.Check(field, value, rule) is not { } problem) return true;
            problems.Add(problem);
            return false;
        }

        private InterfaceAddress? Address(string field, string? value) =>
            value is not null && Check(field, value, InputRules.CheckInterfaceAddress) ? InterfaceAddress.Parse(value) : null;

        private IReadOnlyList<InterfaceAddress> Addresses(string field, List<string>? values) =>
            (values ?? []).Select((v, i) => Address($"{field}[{i}]", v)).OfType<InterfaceAddress>().ToList();

        private IPAddress? Ip(string field, string? value, bool required = false) =>
            (value is not null || required) && Check(field, value, InputRules.CheckIpv4) ? IPAddress.Parse(value!) : null;

        private Subnet? SubnetOf(string field, string? value, bool required = false) =>
            (value is not null || required) && Check(field, value, InputRules.CheckSubnet) ? Subnet.Parse(value!) : null;
    }

    // The YAML shape; nullable so a missing key is told apart from a default.
    private sealed class LabFile
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public WorldFile? World { get; set; }
        public HostFile? Host { get; set; }
        public List<VmFile>? Vms { get; set; }
    }

    private sealed class WorldFile
    {
        public string? Uplink { get; set; }
        public string? UplinkGateway { get; set; }
        public string? InternetServer { get; set; }
        public string? Pc { get; set; }
        public string? PcGateway { get; set; }
    }

    private sealed class HostFile
    {
        public bool? Forwarding { get; set; }
        public List<BridgeFile>? Bridges { get; set; }
        public List<InterfaceFile>? Interfaces { get; set; }
        public List<MasqueradeFile>? Masquerade { get; set; }
        public List<RouteFile>? Routes { get; set; }
    }

    private sealed class BridgeFile
    {
        public string? Name { get; set; }
        public List<string>? Ports { get; set; }
        public List<string>? Addresses { get; set; }
        public bool? Up { get; set; }
    }

    private sealed class InterfaceFile
    {
        public string? Name { get; set; }
        public List<string>? Addresses { get; set; }
        public bool? Up { get; set; }
    }

    private sealed class MasqueradeFile
    {
        public string? Source { get; set; }
        public string? OutInterface { get; set; }
    }

    private sealed class RouteFile
    {
        public string? To { get; set; }
        public string? Via { get; set; }
    }

    private sealed class VmFile
    {
        public string? Name { get; set; }
        public string? Mac { get; set; }
        public string? Tap { get; set; }
        public string? Nic { get; set; }
        public int? Memory { get; set; }
        public string? Image { get; set; }
        public string? Address { get; set; }
        public string? Gateway { get; set; }
    }
}

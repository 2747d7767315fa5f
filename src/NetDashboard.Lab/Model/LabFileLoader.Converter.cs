using System.Net;

namespace NetDashboard.Lab.Model;

// The conversion of a read lab file to a LabDefinition, checking every value against its rule.
public static partial class LabFileLoader
{
    private sealed class Converter(List<LabFileProblem> problems)
    {
        public LabDefinition Convert(LabFile file, string? nameOverride)
        {
            var name = nameOverride ?? file.Name;
            Check(nameOverride is null ? "name" : "--name", name, InputRules.CheckLabName);
            var world = ConvertWorld(file.World ?? new WorldFile());
            if (file.Description?.Length > Limits.DescriptionCharacters)
                problems.Add(new("description", $"a description is at most {Limits.DescriptionCharacters} characters; this one has {file.Description.Length}"));
            var vmFiles = Bounded("vms", file.Vms, Limits.Vms);
            var vms = vmFiles.Select((vm, i) => ConvertVm(vm, $"vms[{i}]")).OfType<VmDefinition>().ToList();
            // Taps of every VM entry, even one with another bad value, so its tap is not also reported as unknown.
            var taps = vmFiles.Select(vm => vm.Tap).OfType<string>().ToHashSet();
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
            var bridgeNames = new HashSet<string>(StringComparer.Ordinal);
            var portOwners = new Dictionary<string, string>();
            foreach (var (bridge, i) in Bounded("host.bridges", host.Bridges, Limits.Bridges).Select((b, i) => (b, i)))
            {
                var field = $"host.bridges[{i}]";
                // A bad name does not stop the checks of the bridge's other fields: every problem is told at once.
                var nameOk = Check($"{field}.name", bridge.Name, InputRules.CheckInterfaceName);
                if (nameOk && (known.Contains(bridge.Name!) || !bridgeNames.Add(bridge.Name!)))
                    problems.Add(new($"{field}.name", $"'{bridge.Name}' is already the name of another interface in the host"));
                var ports = new List<string>();
                foreach (var (port, j) in Bounded($"{field}.ports", bridge.Ports, Limits.PortsPerBridge).Select((p, j) => (p, j)))
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
            foreach (var (item, i) in Bounded("host.interfaces", host.Interfaces, Limits.Interfaces).Select((x, i) => (x, i)))
            {
                var field = $"host.interfaces[{i}]";
                if (!Check($"{field}.name", item.Name, InputRules.CheckInterfaceName)) continue;
                if (!known.Contains(item.Name!))
                    problems.Add(new($"{field}.name", $"'{item.Name}' is not ens160, ens192 or the tap of a VM in this lab (bridges are set under host.bridges)"));
                interfaces.Add(new InterfaceDefinition(item.Name!, Addresses($"{field}.addresses", item.Addresses), item.Up ?? true));
            }

            var masquerade = new List<MasqueradeDefinition>();
            foreach (var (rule, i) in Bounded("host.masquerade", host.Masquerade, Limits.MasqueradeRules).Select((x, i) => (x, i)))
            {
                var field = $"host.masquerade[{i}]";
                var source = Check($"{field}.source", rule.Source, InputRules.CheckMasqueradeSource) ? Subnet.Parse(rule.Source!) : null;
                if (rule.OutInterface is not null)
                    Check($"{field}.outInterface", rule.OutInterface, InputRules.CheckInterfaceName);
                if (source is not null)
                    masquerade.Add(new MasqueradeDefinition(source, rule.OutInterface));
            }

            var routes = new List<RouteDefinition>();
            foreach (var (route, i) in Bounded("host.routes", host.Routes, Limits.Routes).Select((x, i) => (x, i)))
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
            ok &= Check($"{field}.image", image, InputRules.CheckImage);
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
            Bounded(field, values, Limits.AddressesPerInterface).Select((v, i) => Address($"{field}[{i}]", v)).OfType<InterfaceAddress>().ToList();

        // A list over its limit is refused as a whole and not looked into: the refusal costs the same for any length.
        private List<T> Bounded<T>(string field, List<T>? items, int max)
        {
            if (items is null || items.Count <= max) return items ?? [];
            problems.Add(new(field, $"at most {max} entries; this list has {items.Count}"));
            return [];
        }

        private IPAddress? Ip(string field, string? value, bool required = false) =>
            (value is not null || required) && Check(field, value, InputRules.CheckIpv4) ? IPAddress.Parse(value!) : null;

        private Subnet? SubnetOf(string field, string? value, bool required = false) =>
            (value is not null || required) && Check(field, value, InputRules.CheckSubnet) ? Subnet.Parse(value!) : null;
    }
}

using System.Net;
using NetDashboard.Lab.Host;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Reads a lab file (YAML, schema in labs/README.md) and validates every value,
/// reporting all problems at once with the field that holds each.
/// </summary>
public static partial class LabFileLoader
{
    // A key given twice is refused: a reader sees the first, the loader would take the last.
    private static readonly IDeserializer Deserializer = new StaticDeserializerBuilder(new LabFileYamlContext())
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>The most a lab file may hold; each is far beyond a real lab and keeps a hostile file cheap to refuse.</summary>
    public static class Limits
    {
        public const int FileBytes = 256 * 1024;
        public const int Nodes = 20_000;
        public const int Depth = 16;
        public const int DescriptionCharacters = 4096;
        public const int Bridges = 64;
        public const int PortsPerBridge = 64;
        public const int Interfaces = 64;
        public const int AddressesPerInterface = 32;
        public const int MasqueradeRules = 16;
        public const int Routes = 64;
        public const int Vms = 32;
    }

    public static LabDefinition LoadFile(string path, string? nameOverride = null) =>
        Parse(ReadBounded(path), path, nameOverride);

    /// <summary>
    /// The file's text when it is a regular file of at most <see cref="Limits.FileBytes"/>: a device would never end
    /// and a FIFO never open. The refusal never quotes the file's content.
    /// </summary>
    public static string ReadBounded(string path)
    {
        var (handle, kind) = UnixFile.OpenRegular(path);
        using (handle)
        {
            if (handle is null)
                throw Refused(kind switch
                {
                    FileKind.Missing => "does not exist",
                    FileKind.Other => "cannot be read",
                    FileKind.Unreadable => "cannot be read: permission denied",
                    _ => $"is {UnixFile.Describe(kind)}, not a lab file",
                });
            var buffer = new byte[Limits.FileBytes + 1];
            int read;
            try
            {
                read = RandomAccess.Read(handle, buffer, 0);
                while (read < buffer.Length && RandomAccess.Read(handle, buffer.AsSpan(read), read) is > 0 and var more)
                    read += more;
            }
            catch (IOException)
            {
                throw Refused("cannot be read");
            }
            if (read > Limits.FileBytes)
                throw Refused($"is over {Limits.FileBytes / 1024} KiB; a lab file is at most that");
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }

        LabFileException Refused(string reason) => new(path, [new LabFileProblem("file", $"{path} {reason}")]);
    }

    public static LabDefinition Parse(string yaml, string source, string? nameOverride = null)
    {
        if (yaml.Length > Limits.FileBytes)
            throw new LabFileException(source, [new LabFileProblem("file", $"a lab file is at most {Limits.FileBytes / 1024} KiB; this one has {yaml.Length} characters")]);
        if (ShapeProblem(yaml) is { } shape)
            throw new LabFileException(source, [shape]);
        LabFile file;
        try
        {
            file = Deserializer.Deserialize<LabFile?>(yaml) ?? new LabFile();
        }
        catch (YamlException e)
        {
            throw new LabFileException(source, [new LabFileProblem($"line {e.Start.Line}, column {e.Start.Column}", ReasonOf(e))]);
        }
        var problems = new List<LabFileProblem>();
        var definition = new Converter(problems).Convert(file, nameOverride);
        if (problems.Count > 0)
            throw new LabFileException(source, problems);
        return definition;
    }

    /// <summary>
    /// One linear pass over the YAML events before anything is built: no alias (an anchor bomb expands a few bytes
    /// into millions of nodes), at most <see cref="Limits.Nodes"/> nodes, nested at most <see cref="Limits.Depth"/> deep.
    /// </summary>
    private static LabFileProblem? ShapeProblem(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var (nodes, depth) = (0, 0);
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                string At() => $"line {current.Start.Line}, column {current.Start.Column}";
                switch (current)
                {
                    case AnchorAlias:
                        return new(At(), "aliases (*name) are not used in lab files; write the value out");
                    // .NET's number parsing ignores trailing NULs ("256\0" reads as 256): no value of a lab file holds one.
                    case Scalar scalar when scalar.Value.Contains('\0'):
                        return new(At(), "a value holds a NUL character (\\0); no value of a lab file has one");
                    case MappingStart or SequenceStart when ++depth > Limits.Depth:
                        return new(At(), $"nested more than {Limits.Depth} levels deep; a lab file is never that deep");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
                if (current is NodeEvent && ++nodes > Limits.Nodes)
                    return new(At(), $"more than {Limits.Nodes} values; a lab file is far smaller");
            }
            return null;
        }
        catch (YamlException e)
        {
            return new LabFileProblem($"line {e.Start.Line}, column {e.Start.Column}", ReasonOf(e));
        }
    }

    // YamlDotNet's messages can quote the text they failed on; a lab file read from any path must not be echoed.
    private static string ReasonOf(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        // A key is quoted only when it looks like a field name: a file that is not YAML at all is one long "key".
        if (UnknownProperty().Match(message) is { Success: true } unknown)
            return FieldLike().IsMatch(unknown.Groups[1].Value)
                ? $"'{unknown.Groups[1].Value}' is not a field of a lab file here (see labs/README.md)"
                : "this is not a lab file: a lab file is a YAML mapping of name, description, world, host and vms (see labs/README.md)";
        if (message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase))
            return "this key is given twice in one mapping; give each key once";
        if (e.InnerException is FormatException or OverflowException or InvalidCastException)
            return "this value has the wrong type (a number, true or false, a list or a mapping belongs here; see labs/README.md)";
        return e is SyntaxErrorException or SemanticErrorException
            ? Printable.Quote(message.Replace("\n", " ", StringComparison.Ordinal), 160)
            : "this is not the shape of a lab file here (see labs/README.md)";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,31}\z")]
    private static partial System.Text.RegularExpressions.Regex FieldLike();

    [System.Text.RegularExpressions.GeneratedRegex("^Property '(.*)' not found on type")]
    private static partial System.Text.RegularExpressions.Regex UnknownProperty();

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

    // The YAML shape; nullable so a missing key is told apart from a default.
    internal sealed class LabFile
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public WorldFile? World { get; set; }
        public HostFile? Host { get; set; }
        public List<VmFile>? Vms { get; set; }
    }

    internal sealed class WorldFile
    {
        public string? Uplink { get; set; }
        public string? UplinkGateway { get; set; }
        public string? InternetServer { get; set; }
        public string? Pc { get; set; }
        public string? PcGateway { get; set; }
    }

    internal sealed class HostFile
    {
        public bool? Forwarding { get; set; }
        public List<BridgeFile>? Bridges { get; set; }
        public List<InterfaceFile>? Interfaces { get; set; }
        public List<MasqueradeFile>? Masquerade { get; set; }
        public List<RouteFile>? Routes { get; set; }
    }

    internal sealed class BridgeFile
    {
        public string? Name { get; set; }
        public List<string>? Ports { get; set; }
        public List<string>? Addresses { get; set; }
        public bool? Up { get; set; }
    }

    internal sealed class InterfaceFile
    {
        public string? Name { get; set; }
        public List<string>? Addresses { get; set; }
        public bool? Up { get; set; }
    }

    internal sealed class MasqueradeFile
    {
        public string? Source { get; set; }
        public string? OutInterface { get; set; }
    }

    internal sealed class RouteFile
    {
        public string? To { get; set; }
        public string? Via { get; set; }
    }

    internal sealed class VmFile
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

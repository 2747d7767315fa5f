namespace NetDashboard.Lab.Model;

// The classes a lab file is read into (LabFileYamlContext generates their YamlDotNet code).
public static partial class LabFileLoader
{
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

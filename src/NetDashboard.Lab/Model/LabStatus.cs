using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>The JSON shape of `lab status --json` and of the API's topology: plain strings, easy for jq.</summary>
public sealed record LabStatus(string Lab, bool Owned, DateTimeOffset TakenAt, int? InternetServerPid,
    IReadOnlyList<LabStatus.NamespaceView> Namespaces, IReadOnlyList<LabStatus.VmView> Vms)
{
    public static JsonSerializerOptions JsonOptions => LabStatusJson.Default.Options;

    /// <summary>The status as `lab status --json` prints it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LabStatusJson.Default.LabStatus);

    public sealed record NamespaceView(string Name, string Role, bool Exists, bool Forwarding,
        IReadOnlyList<LinkView> Links, IReadOnlyList<RouteState> Routes, IReadOnlyList<NatRuleView> NatRules);

    public sealed record LinkView(string Name, string Kind, string State, bool AdminUp, string OperState, string? Master,
        string? PortState, string? Mac, IReadOnlyList<string> Addresses);

    public sealed record NatRuleView(string Chain, string Target, string? Source, string? NotDestination, string? OutInterface, string? Comment, string Spec);

    /// <param name="WantedAddress">What the lab file wants on eth0 (not a fact about the guest).</param>
    /// <param name="Guest">What the guest holds, read from it; null when it is not running or did not answer.</param>
    public sealed record VmView(string Name, string State, int? Pid, string Mac, string Tap, string? Detail,
        string? WantedAddress = null, string? WantedGateway = null, GuestView? Guest = null);

    /// <param name="Known">False for a disk-image guest: it has no agent, so nothing is claimed.</param>
    public sealed record GuestView(bool Known, bool LinkUp, IReadOnlyList<string> Addresses, IReadOnlyList<string> Routes,
        IReadOnlyList<GuestNeighbour> Neighbours, DateTimeOffset ReadAt);

    public static LabStatus From(Topology topology, LabRecord? record, IReadOnlyList<VmStatus> vms,
        LabDefinition? definition = null, IReadOnlyDictionary<string, GuestState>? guests = null) => new(
        topology.Lab,
        record is not null,
        topology.TakenAt,
        record?.InternetServerPid,
        topology.Namespaces.Select(ns => new NamespaceView(
            ns.Name,
            ns.Role.Word(),
            ns.Exists,
            ns.Forwarding,
            ns.Links.Select(l => new LinkView(l.Name, l.Kind, l.State, l.AdminUp, l.OperState, l.Master, l.PortState, l.Mac,
                l.Addresses.Select(a => a.ToString()).ToList())).ToList(),
            ns.Routes,
            ns.NatRules.Select(r => new NatRuleView(r.Chain, r.Target, r.Source, r.NotDestination, r.OutInterface, r.Comment, r.Spec)).ToList()))
            .ToList(),
        vms.Select(vm =>
        {
            var wanted = definition?.Vm(vm.Name);
            var guest = guests?.GetValueOrDefault(vm.Name) is { } g
                ? new GuestView(g.Known, g.LinkUp, g.Addresses.Select(a => a.ToString()).ToList(), g.Routes, g.Neighbours, g.ReadAt)
                : null;
            return new VmView(vm.Name, vm.State.ToString().ToLowerInvariant(), vm.Pid, vm.Mac, vm.Tap, vm.Detail,
                wanted?.Address?.ToString(), wanted?.Gateway?.ToString(), guest);
        }).ToList());

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"lab {Lab}{(Owned ? "" : " (no runtime record)")}");
        foreach (var ns in Namespaces)
        {
            text.AppendLine($"{ns.Name} ({ns.Role}){(ns.Exists ? "" : ": missing")}");
            if (!ns.Exists) continue;
            text.AppendLine($"  forwarding {(ns.Forwarding ? "on" : "off")}");
            foreach (var link in ns.Links)
            {
                var master = link.Master is null ? "" : $" master {link.Master}";
                text.AppendLine($"  {link.Name,-10} {link.Kind,-8} {link.State,-10}{master} {string.Join(' ', link.Addresses)}");
            }
            foreach (var route in ns.Routes)
                text.AppendLine($"  route {route.Destination}{(route.Gateway is null ? "" : $" via {route.Gateway}")}{(route.Device is null ? "" : $" dev {route.Device}")}");
            foreach (var rule in ns.NatRules)
                text.AppendLine($"  nat {rule.Spec}");
        }
        foreach (var vm in Vms)
        {
            text.AppendLine($"vm {vm.Name,-8} {vm.State,-8} pid {(vm.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-7} mac {vm.Mac} tap {vm.Tap}");
            var holds = vm.Guest switch
            {
                null => "guest: not read (not running or busy)",
                { Known: false } => "guest: unknown (no agent)",
                var g => $"guest: eth0 {(g.LinkUp ? "up" : "down")} {(g.Addresses.Count == 0 ? "no address" : string.Join(' ', g.Addresses))}"
                         + string.Concat(g.Routes.Where(r => r.StartsWith("default", StringComparison.Ordinal)).Select(r => $", {r}")),
            };
            text.AppendLine($"   {holds}{(vm.WantedAddress is { } want ? $" (the file wants {want}{(vm.WantedGateway is { } gw ? $" via {gw}" : "")})" : "")}");
        }
        return text.ToString();
    }
}

/// <summary>
/// The status's JSON by generated code: the CLI is compiled ahead of time, where reflection-based serialization is
/// not available.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LabStatus))]
internal sealed partial class LabStatusJson : JsonSerializerContext;

using System.Net;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Engine;

// The door's read side: what the kernel, the record, the journal and the lab file hold now. Reading changes nothing
// and is not journaled.
public sealed partial class LabService
{
    /// <summary>What the kernel holds for a lab, its record and its VMs; null when nothing of the lab exists.</summary>
    public async Task<LabStatus?> StatusAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        var topology = await reader.ReadAsync(lab, cancellationToken);
        var record = store.Read(lab);
        if (topology.Namespaces.All(n => !n.Exists) && record is null)
            return null;
        var definition = DefinitionOf(lab);
        var guests = new Dictionary<string, GuestState>();
        foreach (var vm in definition?.Vms ?? [])
        {
            if (await vms.ReadGuestAsync(lab, vm, cancellationToken) is { } guest)
                guests[vm.Name] = guest;
        }
        return LabStatus.From(topology, record, VmStatuses(lab), definition, guests);
    }

    /// <summary>Refused when <paramref name="lab"/> is not a lab name, with the one wording every face shows; else null.</summary>
    public static ActionResult? CheckLabName(string lab) => BadLabName(lab);

    /// <summary>What the kernel holds for a lab now (no guest is asked); null when nothing of the lab exists.</summary>
    public async Task<Topology?> TopologyAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        var topology = await reader.ReadAsync(lab, cancellationToken);
        return topology.Namespaces.All(n => !n.Exists) && store.Read(lab) is null ? null : topology;
    }

    /// <summary>
    /// The kernel's tables of one namespace (host, wan or pc): routes and neighbours, and a bridge's MAC table when
    /// <paramref name="bridge"/> names one. Reading changes nothing and is not journaled.
    /// </summary>
    public async Task<(ActionResult Result, KernelTables? Tables)> TablesAsync(string lab, string ns, string? bridge, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return (bad, null);
        if (ns is not ("host" or "wan" or "pc")) return (ActionResult.Refused("namespace", $"'{ns}' is not host, wan or pc"), null);
        if (bridge is not null && LabFileProblem.Check("bridge", bridge, InputRules.CheckInterfaceName) is { } problem)
            return (ActionResult.Refused([problem]), null);
        if (await TopologyAsync(lab, cancellationToken) is not { } topology) return (ActionResult.NoSuchLab(lab), null);
        var state = topology.Find(Enum.Parse<NamespaceRole>(ns, ignoreCase: true));
        if (state is not { Exists: true }) return (ActionResult.NotFound($"{ns} of lab {lab} does not exist"), null);
        if (bridge is not null && state.Link(bridge)?.Kind != "bridge") return (ActionResult.NotFound($"there is no bridge named {bridge} in {ns}"), null);
        try
        {
            return (ActionResult.Ok($"{ns} tables"), await reader.ReadTablesAsync(state.Name, bridge, cancellationToken));
        }
        catch (HostCommandException e)
        {
            return (ActionResult.Failed($"the tables of {ns} could not be read: {e.StandardError}"), null);
        }
    }

    /// <summary>
    /// Packets each interface of the lab has carried (received plus sent), keyed like "host/tap0", from the kernel's
    /// counters: cheap enough to read every second, unlike a capture. Namespaces that do not exist are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> LinkPacketsAsync(string lab, CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<string, long>();
        if (InputRules.CheckLabName(lab) is not null) return counts;
        foreach (var role in Enum.GetValues<NamespaceRole>())
        {
            var ns = new LabNamespaces(lab).NameOf(role);
            if (!NetNamespaces.Names().Contains(ns)) continue;
            try
            {
                foreach (var (name, packets) in await reader.ReadLinkPacketsAsync(ns, cancellationToken))
                    counts[$"{role.ToString().ToLowerInvariant()}/{name}"] = packets;
            }
            catch (HostCommandException)
            {
                // The namespace went away between the look and the read: its links have no rate.
            }
        }
        return counts;
    }

    /// <summary>Each VM of the lab file as the supervisor sees it now.</summary>
    public IReadOnlyList<VmStatus> VmStatuses(string lab) =>
        DefinitionOf(lab)?.Vms.Select(vm => vms.StatusOf(lab, vm)).ToList() ?? [];

    /// <summary>Every command run for a lab, in order; null when the app does not own the lab.</summary>
    public IReadOnlyList<JournalEntry>? JournalOf(string lab) =>
        InputRules.CheckLabName(lab) is null && store.Read(lab) is not null ? store.JournalOf(lab).ReadAll() : null;

    /// <summary>The journal as a bash script that rebuilds the lab; null when the app does not own the lab.</summary>
    public string? JournalScriptOf(string lab) =>
        JournalOf(lab) is { } entries
            ? JournalScript.Export(lab, entries, store.Root, (DefinitionOf(lab)?.World ?? new WorldDefinition()).InternetServer)
            : null;

    /// <summary>The lab file as the app holds it now, or null.</summary>
    public LabDefinition? DefinitionOf(string lab) => store.TryReadDefinition(lab);

    /// <summary>The lab's record (source file, lesson or not), or null.</summary>
    public LabRecord? RecordOf(string lab) => InputRules.CheckLabName(lab) is null ? store.Read(lab) : null;

    /// <summary>
    /// What the lab file wants that the kernel lacks (the planner's steps for this snapshot), as tutorial lines. A lesson
    /// lab is compared with the finished lesson (its whole file), so this is the list of steps still to do, never an
    /// undo of a step the learner made.
    /// </summary>
    public IReadOnlyList<string> DriftOf(string lab, LabDefinition? definition, Topology topology)
    {
        if (definition is null || topology.Namespaces.All(n => !n.Exists)) return [];
        var plan = LabPlanner.Plan(definition, topology, engine.IsInternetServerRunning(lab), store.WebRootOf(lab));
        var who = new LabNamespaces(lab);
        var asLesson = store.Read(lab)?.AsLesson == true;
        return plan.Operations
            // A learner who turned something on that the lesson leaves off is exploring, not drifting.
            .Where(op => !asLesson || op is not (SetForwarding { Enabled: false } or SetLinkState { Up: false }))
            .Select(op => $"({who.RoleOf(op.Namespace)?.ToString().ToLowerInvariant() ?? "host"})$ {op.Tutorial}")
            .ToList();
    }
}

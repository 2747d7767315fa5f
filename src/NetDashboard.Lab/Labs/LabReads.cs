using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Runtime;
using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Labs;

/// <summary>
/// What the kernel, the record, the journal and the lab file hold now. Reading changes nothing and is not journaled.
/// </summary>
public sealed class LabReads(LabEngine engine, LabRuntimeStore store, VmSupervisor vms, TopologyReader reader)
{
    /// <summary>What the kernel holds for a lab, its record and its VMs; null when nothing of the lab exists.</summary>
    public async Task<LabStatus?> StatusAsync(string lab, CancellationToken cancellationToken)
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

    /// <summary>What the kernel holds for a lab now (no guest is asked); null when nothing of the lab exists.</summary>
    public async Task<Topology?> TopologyAsync(string lab, CancellationToken cancellationToken)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        var topology = await reader.ReadAsync(lab, cancellationToken);
        return topology.Namespaces.All(n => !n.Exists) && store.Read(lab) is null ? null : topology;
    }

    /// <summary>
    /// The kernel's tables of one namespace (host, wan or pc): routes and neighbours, and a bridge's MAC table when
    /// <paramref name="bridge"/> names one. Reading changes nothing and is not journaled.
    /// </summary>
    public async Task<(ActionResult Result, KernelTables? Tables)> TablesAsync(string lab, string ns, string? bridge, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return (bad, null);
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
    /// Packets each interface of the lab has carried (received plus sent), keyed by interface, from the kernel's
    /// counters: cheap enough to read every second, unlike a capture. Namespaces that do not exist are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<InterfaceRef, long>> LinkPacketsAsync(string lab, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<InterfaceRef, long>();
        if (InputRules.CheckLabName(lab) is not null) return counts;
        foreach (var role in Enum.GetValues<NamespaceRole>())
        {
            var ns = new LabNamespaces(lab).NameOf(role);
            if (!NetNamespaces.Names().Contains(ns)) continue;
            try
            {
                foreach (var (name, packets) in await reader.ReadLinkPacketsAsync(ns, cancellationToken))
                    counts[new InterfaceRef(role, name)] = packets;
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

    /// <summary>The most journal entries one page holds, and how many a page holds when the caller does not say.</summary>
    public const int MaxJournalPage = 1000, DefaultJournalPage = 100;

    /// <summary>Every command run for a lab, in order; null when the app does not own the lab.</summary>
    public IReadOnlyList<JournalEntry>? JournalOf(string lab) => ReadJournal(lab)?.ToList();

    /// <summary>Every command run for a lab, in order, read one at a time as enumerated; null when the app does not own the lab.</summary>
    public IEnumerable<JournalEntry>? ReadJournal(string lab) =>
        InputRules.CheckLabName(lab) is null && store.Read(lab) is not null ? store.JournalOf(lab).Read() : null;

    /// <summary>
    /// One page of the journal, newest first: the <paramref name="take"/> entries (0, for the total alone, to
    /// <see cref="MaxJournalPage"/>) after the newest <paramref name="skip"/>. Refused for a bad lab name or page; not
    /// found for a lab the app does not own.
    /// </summary>
    public (ActionResult Result, JournalPage? Page) JournalPageOf(string lab, int skip = 0, int take = DefaultJournalPage)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return (bad, null);
        var problems = new List<LabFileProblem>();
        if (skip < 0) problems.Add(new("skip", $"{skip} is not 0 or more"));
        if (take is < 0 or > MaxJournalPage) problems.Add(new("take", $"{take} is not between 0 and {MaxJournalPage}"));
        if (problems.Count > 0) return (ActionResult.Refused(problems), null);
        if (store.Read(lab) is null) return (ActionResult.NoSuchLab(lab), null);
        return (ActionResult.Ok("journal page"), store.JournalOf(lab).ReadPage(skip, take));
    }

    /// <summary>
    /// The whole output (up to 1 MiB) of the journal entry whose <see cref="JournalEntry.OutputFile"/> is <paramref name="outputFile"/>
    /// ("outputs/12.txt"): refused for another kind of name, not found when the lab or the file is not there.
    /// </summary>
    public (ActionResult Result, string? Output) JournalOutputOf(string lab, string outputFile)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return (bad, null);
        if (!Journal.IsOutputFile(outputFile))
            return (ActionResult.Refused("output", $"'{outputFile}' is not a journal output file (outputs/N.txt, as a journal entry names it)"), null);
        if (store.Read(lab) is null) return (ActionResult.NoSuchLab(lab), null);
        return store.JournalOf(lab).ReadOutput(outputFile) is { } output
            ? (ActionResult.Ok(outputFile), output)
            : (ActionResult.NotFound($"lab {lab} has no {outputFile}"), null);
    }

    /// <summary>The journal as a bash script that rebuilds the lab; null when the app does not own the lab.</summary>
    public string? JournalScriptOf(string lab) =>
        ReadJournal(lab) is { } entries
            ? JournalScript.Export(lab, entries, store.Root, (DefinitionOf(lab)?.World ?? new WorldDefinition()).InternetServer)
            : null;

    /// <summary>
    /// Keeps each lab's folder within its quota (serial logs rotated at 1 MiB, serial output dropped over the cap) and
    /// returns, per lab, the sentences of what was dropped: whatever NetDashboard process is around calls it.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> KeepFoldersBounded() =>
        store.ListLabs().ToDictionary(lab => lab, vms.KeepFolderBounded);

    /// <summary>Whether anything of the lab exists: its record here, or one of its namespaces.</summary>
    public async Task<bool> ExistsAsync(string lab, CancellationToken cancellationToken) =>
        store.Read(lab) is not null
        || (await reader.ListNamespacesAsync(cancellationToken)).Any(new LabNamespaces(lab).All.Contains);

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
            .Select(op => $"({who.RoleOf(op.Namespace)?.Word() ?? "host"})$ {op.Tutorial}")
            .ToList();
    }
}

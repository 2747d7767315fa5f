using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Lessons;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Trace;

namespace NetDashboard.Lab.Services;

/// <summary>
/// The one door: everything a person does to or reads from a lab, whether from a page, the HTTP API or the CLI. Each
/// member hands the call to its feature (labs, VMs and guests, captures, trace, lessons, live events), which validates
/// it, runs it and says what happened as an <see cref="ActionResult"/>; the faces only translate those results.
/// </summary>
public sealed class LabService(LabActions labs, LabReads reads, VmActions vms, CaptureActions captures, TraceService trace, LabEvents events,
    LabRuntimeStore store)
{
    // Labs: made, applied again, changed, removed.

    /// <inheritdoc cref="LabActions.ShippedLabFiles"/>
    public IReadOnlyList<string> ShippedLabFiles() => labs.ShippedLabFiles();
    /// <inheritdoc cref="LabActions.ShippedLabFileInfos"/>
    public IReadOnlyList<LabFileInfo> ShippedLabFileInfos() => labs.ShippedLabFileInfos();
    /// <inheritdoc cref="LabActions.DiskImages"/>
    public IReadOnlyList<DiskImageFile> DiskImages() => labs.DiskImages();
    /// <inheritdoc cref="LabActions.CreateLabAsync"/>
    public Task<LabCreation> CreateLabAsync(CreateLabRequest request, IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default) =>
        labs.CreateLabAsync(request, progress, cancellationToken);
    /// <inheritdoc cref="LabActions.TearDownAsync"/>
    public Task<LabTeardown> TearDownAsync(string lab, IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default, bool foreign = false) =>
        labs.TearDownAsync(lab, progress, cancellationToken, foreign);
    /// <inheritdoc cref="LabActions.CleanupAsync"/>
    public Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken = default) => labs.CleanupAsync(cancellationToken);
    /// <inheritdoc cref="LabActions.ListLabsAsync"/>
    public Task<IReadOnlyList<LabSummary>> ListLabsAsync(CancellationToken cancellationToken = default) => labs.ListLabsAsync(cancellationToken);
    /// <inheritdoc cref="LabActions.RunAsync"/>
    public Task<ActionResult> RunAsync(string lab, OperationRequest request, CancellationToken cancellationToken = default) => labs.RunAsync(lab, request, cancellationToken);
    /// <inheritdoc cref="LabActions.PingAsync"/>
    public Task<ActionResult> PingAsync(string lab, string from, string target, CancellationToken cancellationToken = default) =>
        labs.PingAsync(lab, from, target, cancellationToken);
    /// <inheritdoc cref="LabActions.ReapplyAsync"/>
    public Task<ActionResult> ReapplyAsync(string lab, CancellationToken cancellationToken = default) => labs.ReapplyAsync(lab, cancellationToken);
    /// <summary>A lab file's text from disk, bounded, refused with a sentence when it is not a regular readable file.</summary>
    public static string ReadLabFile(string path) => LabFileReader.ReadBounded(path);
    /// <summary>Refused when <paramref name="lab"/> is not a lab name, with the one wording every face shows; else null.</summary>
    public static ActionResult? CheckLabName(string lab) => ActionResult.ForBadLabName(lab);

    // VMs and their guests.

    /// <inheritdoc cref="VmActions.VmAsync"/>
    public Task<ActionResult> VmAsync(string lab, string vm, VmVerb verb, CancellationToken cancellationToken = default) => vms.VmAsync(lab, vm, verb, cancellationToken);
    /// <summary>Runs one command line in a built-in guest; <paramref name="timeout"/> defaults to the configured one.</summary>
    public Task<GuestCommandOutcome> ExecAsync(string lab, string vm, string? command, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        vms.RunInGuestAsync(lab, vm, command, timeout, replayable: true, cancellationToken);
    /// <inheritdoc cref="VmActions.SuggestAsync"/>
    public Task<NewVmRequest?> SuggestVmAsync(string lab, CancellationToken cancellationToken = default) => vms.SuggestAsync(lab, cancellationToken);
    /// <inheritdoc cref="VmActions.CreateAsync"/>
    public Task<ActionResult> CreateVmAsync(string lab, NewVmRequest request, CancellationToken cancellationToken = default) => vms.CreateAsync(lab, request, cancellationToken);
    /// <inheritdoc cref="VmActions.ConfigureGuestAsync"/>
    public Task<ActionResult> ConfigureGuestAsync(string lab, string vm, string address, string? gateway, CancellationToken cancellationToken = default) =>
        vms.ConfigureGuestAsync(lab, vm, address, gateway, cancellationToken);
    /// <summary>Where a VM's console and agent sockets are.</summary>
    public VmPaths PathsOf(string lab, string vm) => store.PathsOf(lab, vm);

    // What the kernel, the record, the journal and the lab file hold now.

    /// <inheritdoc cref="LabReads.StatusAsync"/>
    public Task<LabStatus?> StatusAsync(string lab, CancellationToken cancellationToken = default) => reads.StatusAsync(lab, cancellationToken);
    /// <inheritdoc cref="LabReads.TopologyAsync"/>
    public Task<Topology?> TopologyAsync(string lab, CancellationToken cancellationToken = default) => reads.TopologyAsync(lab, cancellationToken);
    /// <inheritdoc cref="LabReads.TablesAsync"/>
    public Task<(ActionResult Result, KernelTables? Tables)> TablesAsync(string lab, string ns, string? bridge, CancellationToken cancellationToken = default) =>
        reads.TablesAsync(lab, ns, bridge, cancellationToken);
    /// <inheritdoc cref="LabReads.LinkPacketsAsync"/>
    public Task<IReadOnlyDictionary<InterfaceRef, long>> LinkPacketsAsync(string lab, CancellationToken cancellationToken = default) => reads.LinkPacketsAsync(lab, cancellationToken);
    /// <inheritdoc cref="LabReads.VmStatuses"/>
    public IReadOnlyList<VmStatus> VmStatuses(string lab) => reads.VmStatuses(lab);
    /// <inheritdoc cref="LabReads.DefinitionOf"/>
    public LabDefinition? DefinitionOf(string lab) => reads.DefinitionOf(lab);
    /// <inheritdoc cref="LabReads.RecordOf"/>
    public LabRecord? RecordOf(string lab) => reads.RecordOf(lab);
    /// <inheritdoc cref="LabReads.DriftOf"/>
    public IReadOnlyList<string> DriftOf(string lab, LabDefinition? definition, Topology topology) => reads.DriftOf(lab, definition, topology);
    /// <inheritdoc cref="LabReads.KeepFoldersBounded"/>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> KeepFoldersBounded() => reads.KeepFoldersBounded();
    /// <summary>A lab's live updates (kernel, journal, VMs, guests) while the caller reads, batched at most ten a second.</summary>
    public IAsyncEnumerable<LabUpdate> WatchAsync(string lab, CancellationToken cancellationToken) => events.SubscribeAsync(lab, cancellationToken);

    // The journal: every command run for a lab.

    /// <summary>The most journal entries one page holds, and how many a page holds when the caller does not say.</summary>
    public const int MaxJournalPage = LabReads.MaxJournalPage, DefaultJournalPage = LabReads.DefaultJournalPage;
    /// <inheritdoc cref="LabReads.JournalOf"/>
    public IReadOnlyList<JournalEntry>? JournalOf(string lab) => reads.JournalOf(lab);
    /// <inheritdoc cref="LabReads.ReadJournal"/>
    public IEnumerable<JournalEntry>? ReadJournal(string lab) => reads.ReadJournal(lab);
    /// <inheritdoc cref="LabReads.JournalPageOf"/>
    public (ActionResult Result, JournalPage? Page) JournalPageOf(string lab, int skip = 0, int take = DefaultJournalPage) => reads.JournalPageOf(lab, skip, take);
    /// <inheritdoc cref="LabReads.JournalOutputOf"/>
    public (ActionResult Result, string? Output) JournalOutputOf(string lab, string outputFile) => reads.JournalOutputOf(lab, outputFile);
    /// <inheritdoc cref="LabReads.JournalScriptOf"/>
    public string? JournalScriptOf(string lab) => reads.JournalScriptOf(lab);

    // Captures.

    /// <inheritdoc cref="CaptureActions.OpenCaptureAsync"/>
    public Task<CaptureOpening> OpenCaptureAsync(string lab, string? ns, string? iface, string? filter, CancellationToken cancellationToken = default) =>
        captures.OpenCaptureAsync(lab, ns, iface, filter, cancellationToken);
    /// <inheritdoc cref="CaptureActions.CaptureForAsync"/>
    public Task<CaptureDownload> CaptureForAsync(string lab, string? ns, string? iface, int seconds, string? filter, CancellationToken cancellationToken = default) =>
        captures.CaptureForAsync(lab, ns, iface, seconds, filter, cancellationToken);
    /// <inheritdoc cref="CaptureActions.RunningCaptures"/>
    public CaptureDownload RunningCaptures(string lab, IReadOnlyList<string> names) => captures.RunningCaptures(lab, names);
    /// <inheritdoc cref="CaptureActions.RunningCapturesOf"/>
    public IReadOnlyList<RunningCapture>? RunningCapturesOf(string lab) => captures.RunningCapturesOf(lab);
    /// <inheritdoc cref="CaptureActions.NewestRows"/>
    public (ActionResult Result, IReadOnlyList<PacketRow> Rows) NewestRows(string lab, string ns, string iface, int limit) => captures.NewestRows(lab, ns, iface, limit);
    /// <inheritdoc cref="CaptureActions.JourneyOf"/>
    public PacketJourney? JourneyOf(string lab, long group) => captures.JourneyOf(lab, group);
    /// <inheritdoc cref="CaptureActions.SeenOn"/>
    public int SeenOn(string lab, long group) => captures.SeenOn(lab, group);
    /// <inheritdoc cref="CaptureActions.ConntrackOf"/>
    public INatView? ConntrackOf(string lab) => captures.ConntrackOf(lab);
    /// <inheritdoc cref="CaptureActions.Correlates"/>
    public bool Correlates => captures.Correlates;
    /// <inheritdoc cref="CaptureActions.MaxCaptureSeconds"/>
    public int MaxCaptureSeconds => captures.MaxCaptureSeconds;
    /// <summary>Writes captures as one pcapng file (one interface block each), as Wireshark and tshark read it.</summary>
    public static void WritePcapNg(Stream output, IReadOnlyList<CaptureSnapshot> snapshots) => PcapNgWriter.Write(output, snapshots);

    // The trace and the lessons.

    /// <inheritdoc cref="TraceService.TraceAsync"/>
    public Task<TraceOutcome> TraceAsync(string lab, string? from, string? to, string? protocol, CancellationToken cancellationToken = default) =>
        trace.TraceAsync(lab, from, to, protocol, cancellationToken);
    /// <inheritdoc cref="TraceService.LastTracePcapNg"/>
    public (TraceReport Report, Action<Stream> Write)? LastTracePcapNg(string lab) => trace.LastTracePcapNg(lab);
    /// <inheritdoc cref="TraceService.ApplyFixAsync"/>
    public Task<ActionResult> ApplyFixAsync(string lab, TraceFix? fix, CancellationToken cancellationToken = default) =>
        trace.ApplyFixAsync(lab, fix, cancellationToken);
    /// <inheritdoc cref="TraceService.RemoveLeftoverTablesAsync"/>
    public Task RemoveTraceLeftoversAsync(string lab, CancellationToken cancellationToken = default) => trace.RemoveLeftoverTablesAsync(lab, cancellationToken);

    /// <inheritdoc cref="TraceService.RemoveDeadInstances"/>
    public static IReadOnlyList<string> RemoveDeadTraceInstances() => TraceService.RemoveDeadInstances();
    /// <summary>A journey's hops in the order the packet crossed them (<see cref="PathOrder"/>); a reply (no <paramref name="source"/>) goes back.</summary>
    public static PacketJourney InPathOrder(PacketJourney journey, Topology? topology, string? source) =>
        PathOrder.InOrder(journey, topology, PathOrder.IsOutbound(source, topology));
    /// <summary>Traces of one lab that may wait their turn behind the one running; more are refused.</summary>
    public const int MaxTracesWaiting = TraceService.MaxTracesWaiting;
    /// <summary>The tutorial's lessons, in order.</summary>
    public static IReadOnlyList<Lesson> Lessons => TutorialLessons.All;
    /// <summary>The lesson a lab made from <paramref name="sourceFile"/> follows, if any.</summary>
    public static Lesson? LessonFor(string? sourceFile) => TutorialLessons.ForLabFile(sourceFile);
}

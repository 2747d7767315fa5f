using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Runtime;
using Stopwatch = System.Diagnostics.Stopwatch;
using System.Net;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Capture.Correlation;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Trace;

/// <summary>
/// Traces one probe through a lab: it opens a capture on every interface of the way, sends the probe, follows the
/// packet and its reply across the captures, and says where it went, what NAT rewrote and, when it did not arrive, why.
/// </summary>
public sealed class TraceService(LabEngine engine, LabRuntimeStore store, VmSupervisor vms, TopologyReader reader, CaptureService captures,
    VmActions vmActions, ActionRunner act, HostRunner runner, LabActions labActions)
{
    /// <summary>A fix has a few steps (link up and the routes that left with it); a longer list is not one of ours.</summary>
    public const int MaxFixSteps = 8;

    // ping gives up after 1 s; a TCP connection that gets no answer or a DNS query without a server would wait far
    // longer, and is cut here. Inside a lab a reply takes milliseconds.
    internal static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(2);
    // A guest's probe also goes through its agent, which a guest under TCG answers slowly while the host is busy (another
    // VM booting): seconds, not milliseconds. Cut too soon, the probe is never sent and the trace would report it lost.
    private static readonly TimeSpan GuestProbeLimit = TimeSpan.FromSeconds(8);
    // libpcap delivers in 20 ms blocks; what crossed the last interface is in the store well within this.
    private static readonly TimeSpan CaptureSettle = TimeSpan.FromMilliseconds(150);
    // A trace takes a few seconds (the guest's probe at most GuestProbeLimit): this lets the line ahead finish.
    private static readonly TimeSpan TraceTurnWait = TimeSpan.FromSeconds(30);
    private readonly TakingTurns<string> _traceTurns = new(MaxTracesWaiting);
    // The last trace of each lab with what its captures held, for its pcapng; a few hundred packets at most each.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TraceReport Report, IReadOnlyList<(TraceStation Station, CaptureSnapshot Snapshot)> Snapshots, long When)> _lastTraces = new();
    private const int MaxRememberedTraces = 64;

    /// <summary>Traces of one lab that may wait their turn behind the one running; more are refused.</summary>
    public const int MaxTracesWaiting = 4;

    /// <summary>
    /// Sends one probe from a VM, the external PC ("pc") or the host ("host") to <paramref name="to"/>, captures it on
    /// every interface of its way, and says where it went, what NAT rewrote, whether the reply came, and if not why.
    /// </summary>
    public async Task<TraceOutcome> TraceAsync(string lab, string? from, string? to, string? protocol, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (ActionResult.ForBadLabName(lab) is { } bad) return new(bad, null);
        var problems = new List<LabFileProblem>();
        if (InputRules.CheckIpv4(to) is { } toProblem) problems.Add(LabFileProblem.Of("to", to, toProblem));
        var (parsed, protocolProblem) = TraceProtocol.Parse(protocol);
        if (protocolProblem is not null) problems.Add(LabFileProblem.Of("protocol", protocol, protocolProblem));
        if (from is not ("pc" or "host") && LabFileProblem.Check("from", from, InputRules.CheckVmName) is { } fromProblem)
            problems.Add(fromProblem with { Message = $"{fromProblem.Message} (a VM's name, pc or host)" });
        if (problems.Count > 0 || parsed is null) return new(ActionResult.Refused(problems), null);
        if (store.RefuseIfNotOwned(lab) is { } notOwned) return new(notOwned, null);
        var definition = store.TryReadDefinition(lab);
        var target = IPAddress.Parse(to!);
        var vm = from is "pc" or "host" ? null : definition?.Vm(from!);
        if (from is not ("pc" or "host") && vm is null)
            return new(ActionResult.NotFound(definition?.NoSuchVm(from!) ?? $"lab {lab} has no VM named '{from}'"), null);
        if (vm is { IsBuiltin: false })
            return new(ActionResult.Refused("from", $"{vm.Name} boots a disk image: only the built-in guest can send a probe (it has the agent)"), null);

        IDisposable turn;
        try
        {
            // One at a time per lab: a trace opens a capture on every interface of the way, and two probes in one
            // guest would be told apart by nothing; others wait their turn, a bounded line.
            turn = await _traceTurns.TakeAsync(lab, TraceTurnWait, $"traces of lab {lab}", cancellationToken);
        }
        catch (LabLimitException e)
        {
            return new(ActionResult.TooMany(e.Message), null);
        }
        using (turn)
            return await TraceInTurnAsync(lab, from!, definition, vm, target, parsed, started, cancellationToken);
    }

    private async Task<TraceOutcome> TraceInTurnAsync(string lab, string from, LabDefinition? definition, VmDefinition? vm, IPAddress target,
        TraceProtocol parsed, Stopwatch started, CancellationToken cancellationToken)
    {
        var topology = await reader.ReadAsync(lab, cancellationToken);
        var source = vm is not null ? new TraceSource(vm.Name, vm.Tap) : from == "pc" ? TraceSource.Pc : TraceSource.Host;
        var running = vm is null || vms.StatusOf(lab, vm).IsUp;
        // Read over the guest's agent while the captures open: the two take about as long, side by side.
        var guestRead = vm is not null && running ? vms.ReadGuestAsync(lab, vm, cancellationToken) : Task.FromResult<GuestState?>(null);
        var plan = await PlanAsync(source, target, topology, definition, vm, cancellationToken);

        var leases = new List<(TraceStation Station, CaptureLease Lease, long From)>();
        KernelWitness? witness = null;
        try
        {
            return await act.RunAsync<TraceOutcome>(lab, async () =>
            {
                // The kernel is asked to watch while the captures open: both take about as long.
                var roles = new[] { NamespaceRole.Host, NamespaceRole.Wan, NamespaceRole.Pc }
                    .Where(role => topology.Find(role)?.Exists == true && (role != NamespaceRole.Pc || source == TraceSource.Pc))
                    .ToList();
                var witnessing = KernelWitness.StartAsync(engine, runner, lab, roles, parsed, target, cancellationToken);
                // Opened side by side: each open enters a namespace and compiles the filter; one after another they add up.
                var opening = plan.Stations.Where(s => s.Exists)
                    .Select(async station => (Station: station, Lease: await captures.AcquireAsync(CaptureKey.For(lab, station.Role, station.Interface, parsed.Filter(target)), cancellationToken)))
                    .ToList();
                try
                {
                    await Task.WhenAll(opening);
                }
                catch (Exception)
                {
                    // Every lease that opened is collected first, so none is left open; the first failure is rethrown below.
                }
                foreach (var open in opening.Where(o => o.IsCompletedSuccessfully))
                    leases.Add((open.Result.Station, open.Result.Lease, open.Result.Lease.Capture.Rows.Next));
                witness = await witnessing;
                if (opening.FirstOrDefault(o => o.IsFaulted) is { } failed) await failed;
                // Before the probe: the agent runs one command at a time, and the verdict wants the guest as it sent it.
                var guest = await guestRead;
                var (probe, exitCode, probeProblem) = running
                    ? await SendProbeAsync(lab, source, vm, target, parsed, cancellationToken)
                    : (parsed.GuestCommand(target), (int?)null, (string?)null);
                await Task.Delay(CaptureSettle, cancellationToken);
                var snapshots = new List<(TraceStation Station, CaptureSnapshot Snapshot)>();
                foreach (var (station, lease, start) in leases)
                {
                    await lease.Capture.DrainedAsync(TimeSpan.FromSeconds(1), cancellationToken);
                    snapshots.Add((station, lease.Capture.Snapshot(start)));
                }
                var (request, reply) = Follow(plan, snapshots, target);
                var seen = request.Where(h => h.Seen).Select(h => h.Station).ToHashSet();
                // The sender's own word counts too: ping's exit code 0 means its reply came.
                var replied = exitCode == 0 || reply.LastOrDefault()?.Seen == true;
                // Arrived means seen where the target is, not at the last place the plan knows: that may be short of it.
                var arrived = replied || (plan.Destination is { } destination && seen.Contains(destination));
                var replySeen = reply.Where(h => h.Seen).Select(h => h.Station).ToHashSet();
                var notSent = probeProblem is not null && !replied && seen.Count == 0;
                var probeSeen = snapshots.SelectMany(s => s.Snapshot.Packets.Select(p => (s.Station.Name, p.TimestampMicros))).ToList();
                var kernel = replied ? KernelFacts.None : await witness!.FinishAsync(
                    RouteQuestion.For(plan, topology, definition, SenderAddress(source, vm, guest, definition)), SysctlsFor(plan), probeSeen, cancellationToken);
                var verdict = Interruption(lab, vm, running, replied, seen, plan)
                    ?? (notSent ? null : TraceDiagnosis.Diagnose(new TraceObservation(plan, topology, definition, guest, running, seen, replied, replySeen, kernel, parsed)));
                var rewrites = request.Concat(reply).SelectMany(h => h.Changes).Where(c => c.IsRewrite).ToList();
                var report = new TraceReport(lab, source.Name, target.ToString(), parsed.ToString(), probe, exitCode, probeProblem, arrived, replied,
                    request, reply, rewrites, verdict, started.ElapsedMilliseconds);
                Remember(report, snapshots);
                return new(replied ? ActionResult.Ok($"{source.Name} reached {target} ({parsed}) and the reply came back")
                    : report.Interrupted || notSent ? ActionResult.Failed(report.Outcome)
                    : ActionResult.Ok(verdict?.Sentence ?? $"{source.Name} got no reply from {target}"), report);
            }, failed => new TraceOutcome(failed, null), explain: e => e switch
            {
                CaptureException => ActionResult.Failed($"the trace could not capture: {e.Message}"),
                LabLimitException => ActionResult.TooMany($"the trace could not capture: {e.Message}"),
                _ => null,
            });
        }
        finally
        {
            if (witness is not null) await witness.DisposeAsync();
            foreach (var (_, lease, _) in leases) await lease.DisposeAsync();
        }
    }

    private void Remember(TraceReport report, IReadOnlyList<(TraceStation Station, CaptureSnapshot Snapshot)> snapshots)
    {
        // Bounded: past the limit the oldest trace goes (labs come and go; a removed lab's trace is not asked for).
        while (_lastTraces.Count >= MaxRememberedTraces && _lastTraces.MinBy(t => t.Value.When) is { Key: var oldest } && oldest != report.Lab)
            _lastTraces.TryRemove(oldest, out _);
        _lastTraces[report.Lab] = (report, snapshots, Environment.TickCount64);
    }

    /// <summary>
    /// The lab's last trace as one pcapng: a block per station, every packet the captures held, and on the packet
    /// where the probe was last seen the verdict with the kernel's first words. Null when the lab has traced nothing.
    /// </summary>
    public (TraceReport Report, Action<Stream> Write)? LastTracePcapNg(string lab)
    {
        if (!_lastTraces.TryGetValue(lab, out var last)) return null;
        var (report, snapshots, _) = last;
        var notes = new Dictionary<(int, long), string>();
        if (report.Verdict is { StoppedAfter: { } stopped } verdict)
        {
            var index = snapshots.ToList().FindIndex(s => s.Station.Name == stopped);
            var target = AddressBits(IPAddress.Parse(report.To));
            if (index >= 0 && snapshots[index].Snapshot.Packets.LastOrDefault(p => PacketHeaderReader.TryRead(p.Data, out var h) && h.Destination == target) is { } packet)
                notes[(index, packet.Sequence)] = $"trace: the probe was last seen here. {verdict.Reason}: {verdict.Sentence}"
                    + (verdict.Evidence?.FirstOrDefault() is { } said ? $" Kernel: {said}" : "");
        }
        return (report, stream => PcapNgWriter.Write(stream, [.. snapshots.Select(s => s.Snapshot)], notes));
    }

    /// <summary>
    /// Runs a trace's fix: each host step validated and journaled like any operation, in order, then the guest's
    /// command; stops at the first that fails and says which. The caller traces again to see it work.
    /// </summary>
    public async Task<ActionResult> ApplyFixAsync(string lab, TraceFix? fix, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        if (fix is null || (fix.Operations is not { Count: > 0 } && fix.GuestCommand is null))
            return ActionResult.Refused("operations", "a fix has at least one operation or a guest command");
        if (fix.Operations?.Count > MaxFixSteps)
            return ActionResult.Refused("operations", $"a fix has at most {MaxFixSteps} operations");
        if ((fix.Vm is null) != (fix.GuestCommand is null))
            return ActionResult.Refused(fix.Vm is null ? "vm" : "guestCommand", "a guest's command needs both vm and guestCommand");
        var ran = new List<string>();
        foreach (var step in fix.Operations ?? [])
        {
            var result = await labActions.RunAsync(lab, step, cancellationToken);
            if (!result.Succeeded)
                return result with { Message = ran.Count == 0 ? result.Message : $"{result.Message} (after {string.Join(", ", ran)} had run)" };
            ran.Add(step.Kind);
        }
        if (fix is { Vm: { } vm, GuestCommand: { } command })
        {
            var outcome = await vmActions.RunInGuestAsync(lab, vm, command, null, replayable: true, cancellationToken);
            if (!outcome.Result.Succeeded || outcome.Guest is { ExitCode: not 0 })
                return outcome.Result.Succeeded ? ActionResult.Failed($"({vm})$ {command} exited with {outcome.Guest!.ExitCode}") : outcome.Result;
        }
        return ActionResult.Ok($"ran {fix.Tutorial}");
    }

    /// <summary>
    /// The way the probe should go: by the main table, then by the kernel's own decision for it (policy routing can
    /// send it elsewhere), so the captures open where it really goes.
    /// </summary>
    private async Task<TracePlan> PlanAsync(TraceSource source, IPAddress target, Topology topology, LabDefinition? definition, VmDefinition? vm,
        CancellationToken cancellationToken)
    {
        var plan = TracePlan.For(source, target, topology, definition);
        if (RouteQuestion.For(plan, topology, definition, SenderAddress(source, vm, null, definition)).FirstOrDefault() is not { } forward)
            return plan;
        var asked = await runner.RunAsync(forward.Command, cancellationToken);
        var answer = RouteAnswer.Parse(forward.Station, forward.Question, asked.ExitCode, asked.StandardOutput, asked.StandardError);
        return answer is { Refused: false, IsLocal: false, Device: { } device } && device != plan.Egress
            ? TracePlan.For(source, target, topology, definition, device)
            : plan;
    }

    private static IPAddress? SenderAddress(TraceSource source, VmDefinition? vm, GuestState? guest, LabDefinition? definition) =>
        vm is not null ? guest?.Addresses.FirstOrDefault()?.Address ?? vm.Address?.Address
        : source == TraceSource.Pc ? (definition?.World ?? new WorldDefinition()).PcAddress.Address
        : null;

    /// <summary>The host's settings a verdict may quote: the reverse-path filter, for the machine and for the way out.</summary>
    private static IReadOnlyList<string> SysctlsFor(TracePlan plan) =>
        plan.Egress is { } egress ? ["net.ipv4.conf.all.rp_filter", $"net.ipv4.conf.{egress}.rp_filter"] : [];

    /// <summary>
    /// The tracefs instances of traces whose process no longer runs (a killed dashboard or CLI), removed by their name;
    /// those of running processes stay. Called once when the dashboard starts, with or without labs.
    /// </summary>
    public static IReadOnlyList<string> RemoveDeadInstances() =>
        // Only an instance named for a process that is gone is a leftover; one whose owner cannot be read is not ours to judge.
        KernelDropWatch.RemoveLeftovers(name => !(name.Split('-') is [_, _, var pid, ..] && int.TryParse(pid, out var owner)) || ProcessTable.IsRunning(owner));

    /// <summary>Removes the netfilter tracing table a trace killed mid-way left in a lab's namespaces (journaled). Called when the dashboard starts.</summary>
    public async Task RemoveLeftoverTablesAsync(string lab, CancellationToken cancellationToken)
    {
        foreach (var ns in new LabNamespaces(lab).All.Where(NetNamespaces.Exists))
        {
            var tables = await runner.RunAsync(KernelReads.ListTables(ns), cancellationToken);
            if (tables.StandardOutput.Split('\n').Any(l => l.Trim() == $"table ip {StartPacketTrace.Table}"))
                await engine.RunAsync(lab, new StopPacketTrace(ns), cancellationToken);
        }
    }

    /// <summary>
    /// The lab or the sending VM went away while the probe was out: what the captures saw then says nothing of the
    /// lab's rules, so that is the verdict, not a rule read from a kernel state that no longer holds.
    /// </summary>
    private TraceVerdict? Interruption(string lab, VmDefinition? vm, bool wasRunning, bool replied, IReadOnlySet<InterfaceRef> seen, TracePlan plan)
    {
        if (replied) return null;
        var lastSeen = plan.Stations.LastOrDefault(s => seen.Contains(s.Name))?.Name;
        if (store.Read(lab) is null || !NetNamespaces.Exists(new LabNamespaces(lab).Host))
            return new TraceVerdict(TraceVerdict.Interrupted, "The lab was removed during the trace, so nothing can be said of where the packet stopped.", lastSeen, null);
        if (vm is not null && wasRunning && !vms.StatusOf(lab, vm).IsUp)
            return new TraceVerdict(TraceVerdict.Interrupted, $"{vm.Name} stopped during the trace, so its probe may never have been sent or answered. Start it and trace again.", lastSeen, null);
        return null;
    }

    private async Task<(string Probe, int? ExitCode, string? Problem)> SendProbeAsync(string lab, TraceSource source, VmDefinition? vm, IPAddress target,
        TraceProtocol protocol, CancellationToken cancellationToken)
    {
        if (vm is not null)
        {
            var command = protocol.GuestCommand(target);
            var outcome = await vmActions.RunInGuestAsync(lab, vm.Name, command, GuestProbeLimit, replayable: false, cancellationToken);
            return ($"({vm.Name})$ {command}", outcome.Guest?.ExitCode, outcome.Guest is null ? outcome.NotRun ?? outcome.Result.Message : null);
        }
        var role = source == TraceSource.Pc ? NamespaceRole.Pc : NamespaceRole.Host;
        var probe = new Probe(new LabNamespaces(lab).NameOf(role), target, protocol);
        var line = $"({source.Name})$ {probe.Tutorial}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ProbeLimit);
        try
        {
            await engine.RunAsync(lab, probe, limit.Token);
            return (line, 0, null);
        }
        catch (HostCommandException e)
        {
            return (line, e.ExitCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A connection nobody answers: what the captures saw says why, not the cut.
            return (line, null, null);
        }
    }

    /// <summary>
    /// The probe's packet and its reply at each station, linked by the correlator (the same packet across the bridge
    /// and across NAT): the first request the sender's side saw, its journey, and the journey of its reply.
    /// </summary>
    /// <param name="snapshots">One per station, in the order of <see cref="TracePlan.Stations"/>.</param>
    internal static (IReadOnlyList<TraceHop> Request, IReadOnlyList<TraceHop> Reply) Follow(TracePlan plan,
        IReadOnlyList<(TraceStation Station, CaptureSnapshot Snapshot)> snapshots, IPAddress target)
    {
        var correlator = new PacketCorrelator();
        var targetBits = AddressBits(target);
        var packets = snapshots
            .SelectMany((s, index) => s.Snapshot.Packets.Select(p => (s.Station, Packet: p, Index: index)))
            .OrderBy(x => x.Packet.TimestampMicros)
            // A bridge and its port often stamp a packet in the same microsecond. The way it goes breaks the tie: the
            // probe crosses the stations in order, its reply backwards; else the reply's NAT rewrite would be shown on
            // the port it leaves by (ens192, tap0) instead of on br0, where it came out of routing.
            .ThenBy(x => PacketHeaderReader.TryRead(x.Packet.Data, out var headers) && headers.Source == targetBits ? -x.Index : x.Index)
            .ToList();
        PacketJourney? request = null;
        var rows = new Dictionary<(InterfaceRef, long), StoredPacket>();
        foreach (var (station, packet, _) in packets)
        {
            var mark = correlator.Observe(station.Name, packet.Sequence, packet.TimestampMicros, packet.Data);
            rows[(station.Name, packet.Sequence)] = packet;
            if (request is null && mark.GroupId != 0 && PacketHeaderReader.TryRead(packet.Data, out var headers) && headers.Destination == targetBits)
                request = new PacketJourney(mark.GroupId, mark.FlowId, [], []);
        }
        if (request is null)
            return (plan.Stations.Select(s => new TraceHop(s.Name, s.Exists, false, null, [], null)).ToList(),
                plan.Stations.Reverse().Select(s => new TraceHop(s.Name, s.Exists, false, null, [], null)).ToList());
        var journey = correlator.Journey(request.GroupId);
        var replyJourney = journey?.ReplyGroupIds.Select(correlator.Journey).FirstOrDefault(j => j is not null);
        return (Hops(plan.Stations, journey, rows), Hops(plan.Stations.Reverse().ToList(), replyJourney, rows));
    }

    private static List<TraceHop> Hops(IReadOnlyList<TraceStation> stations, PacketJourney? journey, Dictionary<(InterfaceRef, long), StoredPacket> rows) =>
        stations.Select(station =>
        {
            var hop = journey?.Hops.FirstOrDefault(h => h.Interface == station.Name);
            if (hop is null) return new TraceHop(station.Name, station.Exists, false, null, [], null);
            var packet = rows[(station.Name, hop.Sequence)];
            var row = PacketSummarizer.Summarize(packet.Sequence, packet.TimestampMicros, packet.Length, packet.Data);
            var changes = hop.Changes.Select(c => new TraceChange(station.Name, c.Field, c.Before, c.After)).ToList();
            return new TraceHop(station.Name, station.Exists, true, hop.OffsetMicros / 1000.0, changes, row.Info);
        }).ToList();

    private static uint AddressBits(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
    }
}

using System.Net;
using CliWrap;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

/// <summary>
/// Asks the kernel about one probe while it is out: netfilter's trace of the probe in each of the lab's namespaces
/// (a table of the trace's own marks it; xtables-monitor says which rule each step met), the drop reasons of
/// skb:kfree_skb in a tracefs instance of the trace's own, and conntrack's drop counters; after it, the routing
/// decisions along the way (`ip route get`). Everything it sets up is removed when it is disposed, whatever happened.
/// </summary>
internal sealed class KernelWitness : IAsyncDisposable
{
    // xtables-monitor subscribes within milliseconds of starting; the table's creation event confirms it listens.
    private static readonly TimeSpan MonitorStart = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan MonitorConfirm = TimeSpan.FromSeconds(1);
    // A skb's events and a capture's timestamp of it are microseconds apart; a loaded machine stretches that.
    private static readonly TimeSpan DropSlack = TimeSpan.FromMilliseconds(5);
    private const int MaxMonitorLines = 4000;
    private static int _instances;

    private readonly LabEngine _engine;
    private readonly HostRunner _runner;
    private readonly string _lab;
    private readonly LabNamespaces _names;
    private readonly CancellationTokenSource _stop = new();
    // SIGINT when _stop fires, a kill 500 ms later (xtables-monitor that inherited SIGINT ignored made every trace wait
    // for ever on a fresh CI machine). Its lines are flushed one by one (stdbuf -oL), so the kill loses none.
    private readonly KillAfterInterrupt _kill;
    private readonly List<Monitor> _monitors = [];
    private readonly List<string> _unavailable = [];
    private KernelDropWatch? _drops;
    private ConntrackFill? _conntrackBefore;
    private bool _disposed;

    private sealed record Monitor(NamespaceRole Role, string Namespace, Task Running, List<string> Lines, TaskCompletionSource Listening)
    {
        public bool TableAdded { get; set; }
    }

    private KernelWitness(LabEngine engine, HostRunner runner, string lab)
    {
        (_engine, _runner, _lab, _names) = (engine, runner, lab, new LabNamespaces(lab));
        _kill = new KillAfterInterrupt(_stop.Token, TimeSpan.FromMilliseconds(500));
    }

    /// <summary>The tracefs instance name of a trace of this process: a leftover names a process that no longer runs.</summary>
    internal static string InstanceName() => $"{KernelDropWatch.Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _instances)}";

    public static async Task<KernelWitness> StartAsync(LabEngine engine, HostRunner runner, string lab, IReadOnlyList<NamespaceRole> roles,
        TraceProtocol protocol, IPAddress target, CancellationToken cancellationToken)
    {
        var witness = new KernelWitness(engine, runner, lab);
        try
        {
            var netfilter = roles.Select(role => witness.StartNetfilterAsync(role, protocol, target, cancellationToken)).ToList();
            var conntrack = witness.ReadConntrackAsync(cancellationToken);
            witness._drops = KernelDropWatch.TryStart(InstanceName(), out var unavailable);
            if (unavailable is not null) witness.Unavailable($"drop reasons: {unavailable}");
            await Task.WhenAll(netfilter);
            witness._conntrackBefore = await conntrack;
            return witness;
        }
        catch
        {
            await witness.DisposeAsync();
            throw;
        }
    }

    private async Task StartNetfilterAsync(NamespaceRole role, TraceProtocol protocol, IPAddress target, CancellationToken cancellationToken)
    {
        var ns = _names.NameOf(role);
        var lines = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var follow = KernelReads.FollowNetfilterTrace(ns);
        var running = Cli.Wrap(follow.Program).WithArguments(follow.Arguments)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                lock (lines)
                {
                    if (lines.Count < MaxMonitorLines) lines.Add(line);
                }
                if (line.Contains($"NEW table: table {StartPacketTrace.Table} ", StringComparison.Ordinal)) listening.TrySetResult();
            }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(_kill.Token, _stop.Token)
            .Task;
        var monitor = new Monitor(role, ns, running, lines, listening);
        lock (_monitors) _monitors.Add(monitor);
        await Task.Delay(MonitorStart, cancellationToken);
        if (running.IsCompleted)
        {
            Unavailable($"netfilter in {role.Word()}: xtables-monitor exited at once ({HostTools.NotInstalled("xtables-monitor")})");
            return;
        }
        try
        {
            await _engine.RunAsync(_lab, new StartPacketTrace(ns, protocol, target), cancellationToken);
        }
        catch (HostCommandException e)
        {
            Unavailable($"netfilter in {role.Word()}: {e.Message}");
            return;
        }
        monitor.TableAdded = true;
        if (await Task.WhenAny(listening.Task, Task.Delay(MonitorConfirm, cancellationToken)) != listening.Task)
            Unavailable($"netfilter in {role.Word()}: xtables-monitor did not confirm it listens, so its silence proves nothing");
    }

    private static List<string> Snapshot(List<string> list)
    {
        lock (list) return [.. list];
    }

    private void Unavailable(string sentence)
    {
        lock (_unavailable) _unavailable.Add(sentence);
    }

    private async Task<ConntrackFill?> ReadConntrackAsync(CancellationToken cancellationToken)
    {
        var stats = await _runner.RunAsync(KernelReads.ReadConntrackStats(_names.Host), cancellationToken);
        var fill = await _runner.RunAsync(KernelReads.ReadConntrackFill(_names.Host), cancellationToken);
        var numbers = fill.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (!stats.Succeeded || !fill.Succeeded || numbers.Length < 2
            || !long.TryParse(numbers[0], out var count) || !long.TryParse(numbers[1], out var max))
            return null;
        return new ConntrackFill(count, max, ConntrackFill.DropsOf(stats.StandardOutput));
    }

    /// <summary>
    /// Stops watching and asks the rest: the routing decisions of <paramref name="questions"/>, the counters of the
    /// rules that dropped, conntrack's counters again. <paramref name="probeSeen"/> is when each station captured the
    /// probe or its reply: a kernel drop belongs to this trace when its packet crossed one of them then.
    /// </summary>
    public async Task<KernelFacts> FinishAsync(IReadOnlyList<RouteQuestion> questions, IReadOnlyList<string> hostSysctls,
        IReadOnlyList<(InterfaceRef Station, long UnixMicros)> probeSeen, CancellationToken cancellationToken)
    {
        var events = _drops?.Stop() ?? [];
        var routes = questions.Select(async q =>
        {
            var result = await _runner.RunAsync(q.Command, cancellationToken);
            return RouteAnswer.Parse(q.Station, q.Question, result.ExitCode, result.StandardOutput, result.StandardError);
        }).ToList();
        var sysctls = hostSysctls.Select(async key =>
            (Key: key, Read: await _runner.RunAsync(KernelReads.ReadSysctl(_names.Host, key), cancellationToken))).ToList();
        var conntrack = ReadConntrackAsync(cancellationToken);
        await StopMonitorsAsync();
        var hits = _monitors.SelectMany(m =>
        {
            lock (m.Lines) return NetfilterHit.Parse(m.Role, [.. m.Lines]);
        }).Where(h => h.Table != StartPacketTrace.Table).ToList();
        var counters = new List<(NamespaceRole, string, string, string)>();
        foreach (var hit in hits.Where(h => h.Drops && !h.IsPolicy).DistinctBy(h => (h.Role, h.Table, h.Chain)))
        {
            var listed = await _runner.RunAsync(KernelReads.ReadRulesWithCounters(_names.NameOf(hit.Role), hit.Table, hit.Chain), cancellationToken);
            counters.AddRange(listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("-A ", StringComparison.Ordinal))
                .Select(l => (hit.Role, hit.Table, hit.Chain, l.Trim())));
        }
        var seen = probeSeen.Select(p => (p.Station.Name, p.UnixMicros)).ToList();
        var matched = KernelDropMatch.Match(events, seen, DropSlack);
        // A drop matched in place and time is the probe's; one matched by an interface's name alone is then another
        // lab's (every lab has a br0) and is left out. Alone, it is shown, marked uncertain.
        var drops = (matched.Any(d => d.Certain) ? matched.Where(d => d.Certain) : matched)
            .Select(d => new ProbeDrop(d.Reason, d.Location, StationOf(d, probeSeen), d.Certain))
            .ToList();
        var values = (await Task.WhenAll(sysctls)).Where(s => s.Read.Succeeded).ToDictionary(s => s.Key, s => s.Read.StandardOutput.Trim());
        return new KernelFacts(await Task.WhenAll(routes), hits, drops, _conntrackBefore, await conntrack, counters, values, [.. Snapshot(_unavailable)]);
    }

    /// <summary>The station of the drop's last device: the one that captured the probe nearest the drop's time.</summary>
    private static InterfaceRef? StationOf(KernelDrop drop, IReadOnlyList<(InterfaceRef Station, long UnixMicros)> probeSeen) =>
        probeSeen.Where(p => p.Station.Name == drop.LastDevice)
            .OrderBy(p => Math.Abs(p.UnixMicros - drop.UnixMicros))
            .Select(p => (InterfaceRef?)p.Station)
            .FirstOrDefault();

    private async Task StopMonitorsAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        foreach (var monitor in _monitors)
        {
            try
            {
                await monitor.Running;
            }
            catch (OperationCanceledException)
            {
                // Stopped as asked; its lines are in.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await StopMonitorsAsync();
        _drops?.Dispose();
        // Whatever happened to the trace, its tables go; the journal shows each removal.
        foreach (var monitor in _monitors.Where(m => m.TableAdded))
        {
            try
            {
                await _engine.RunAsync(_lab, new StopPacketTrace(monitor.Namespace), CancellationToken.None);
            }
            catch (HostCommandException)
            {
                // The namespace went with the lab, and the table with it.
            }
        }
        _kill.Dispose();
        _stop.Dispose();
    }
}

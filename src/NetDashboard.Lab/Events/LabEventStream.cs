using NetDashboard.Lab.Runtime;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// One lab's live events, shared by all its viewers: kernel snapshots from the <see cref="TopologyWatcher"/>, the
/// journal followed from its file, and VM states recomputed from the runtime record and the processes. The runtime
/// folder is watched (inotify), so what the CLI or another dashboard does shows up too, not only this process's own
/// calls; a quarter-second tick catches what no file change announces (a guest that became ready in another process).
/// </summary>
internal sealed partial class LabEventStream : IAsyncDisposable
{
    private const int RingCapacity = 4096;
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(30);
    // inotify is the fast path; the tick is the floor when it misses an event (or cannot watch): a quarter second.
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MinDeliveryInterval = TimeSpan.FromMilliseconds(100);
    // A guest changed from its own console is seen at the next look; a guest command or a boot triggers one at once.
    private static readonly TimeSpan GuestLook = TimeSpan.FromSeconds(3);

    private readonly string _lab;
    private readonly LabRuntimeStore _store;
    private readonly VmSupervisor _vms;
    private readonly ILogger _logger;
    private readonly TopologyWatcher _watcher;
    private readonly EventRing<LabEvent> _ring = new(RingCapacity);
    private readonly Channel<bool> _pokes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> _guestPokes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private Dictionary<string, GuestState> _guests = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly FileSystemWatcher? _files;
    private readonly List<Task> _tasks = [];
    private readonly Lock _gate = new();
    private Topology? _latest;
    private string? _kernelProblem;
    private Dictionary<string, VmStatus> _vmStates = [];
    private long _journalOffset;
    private long _journalLines;

    public LabEventStream(string lab, ITopologySource reader, LabRuntimeStore store, VmSupervisor vms, ILogger logger)
    {
        _lab = lab;
        _store = store;
        _vms = vms;
        _logger = logger;
        (_journalOffset, _journalLines) = CountJournal();
        _vmStates = ReadVmStates().ToDictionary(s => s.Name);
        foreach (var up in _vmStates.Values.Where(s => s.IsUp))
            WatchVm(up.Name);

        _watcher = new TopologyWatcher(reader, lab, logger);
        _watcher.ReadFailed += OnKernelReadFailed;
        _vms.Changed += OnVmChanged;
        _files = WatchRuntimeFolder();
        _tasks.Add(Task.Run(() => FollowKernelAsync(_stop.Token)));
        _tasks.Add(Task.Run(() => FollowFilesAsync(_stop.Token)));
        // The first look at the guests comes at once, so a page does not show "wanted" for a configured guest for seconds.
        _guestPokes.Writer.TryWrite(true);
        _tasks.Add(Task.Run(() => FollowGuestsAsync(_stop.Token)));
    }

    /// <summary>The current state first, then what changes, at most ten updates a second.</summary>
    public async IAsyncEnumerable<LabUpdate> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The viewer reads the journal from its file after this update: an entry appended from here on is in what it
        // reads or in a later update, never lost (a page may show it as read and hear of it again: it reads again).
        var cursor = _ring.Next;
        Topology? topology;
        string? problem;
        IReadOnlyList<VmStatus> vms;
        IReadOnlyDictionary<string, GuestState> guests;
        lock (_gate)
        {
            topology = _latest;
            problem = _kernelProblem;
            vms = _vmStates.Values.ToList();
            guests = _guests;
        }
        yield return new LabUpdate { Topology = topology, KernelProblem = problem, JournalReread = true, Vms = vms, Guests = guests };

        while (!cancellationToken.IsCancellationRequested)
        {
            await _ring.WaitAsync(cursor, cancellationToken);
            var batch = _ring.Read(cursor, RingCapacity);
            cursor = batch.Next;
            var appended = new List<JournalEntry>();
            var changes = new List<VmStatus>();
            var kernelChanged = false;
            var guestsChanged = false;
            var restarted = batch.Missed > 0;
            foreach (var item in batch.Items)
            {
                switch (item)
                {
                    case KernelChanged or KernelReadFailed:
                        kernelChanged = true;
                        break;
                    case JournalAppended { Entry: var entry }:
                        appended.Add(entry);
                        break;
                    case JournalRestarted:
                        restarted = true;
                        break;
                    case VmStateChanged { Status: var status }:
                        changes.Add(status);
                        break;
                    case GuestChanged:
                        guestsChanged = true;
                        break;
                }
            }
            if (restarted)
                appended.Clear();
            lock (_gate)
            {
                topology = kernelChanged ? _latest : null;
                problem = _kernelProblem;
                vms = _vmStates.Values.ToList();
                guests = _guests;
            }
            yield return new LabUpdate
            {
                Topology = topology,
                KernelProblem = problem,
                JournalReread = restarted,
                JournalAppended = appended,
                Vms = changes.Count > 0 ? vms : null,
                VmChanges = changes,
                Guests = guestsChanged ? guests : null,
            };
            await Task.Delay(MinDeliveryInterval, cancellationToken);
        }
    }

    /// <summary>Re-read everything now (after this process changed the lab).</summary>
    public void Poke()
    {
        _watcher.Trigger();
        _pokes.Writer.TryWrite(true);
    }

    private async Task FollowKernelAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var topology in _watcher.WatchAsync(cancellationToken))
            {
                lock (_gate)
                {
                    _latest = topology;
                    _kernelProblem = null;
                }
                _ring.Append(new KernelChanged());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnKernelReadFailed(string reason)
    {
        lock (_gate)
        {
            if (_kernelProblem == reason) return;
            _kernelProblem = reason;
        }
        _ring.Append(new KernelReadFailed(reason));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: the runtime folder cannot be watched ({Reason}); following it once a second")]
    private partial void LogNoFileWatch(string lab, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: following the journal or VM state failed: {Reason}")]
    private partial void LogFollowFailed(string lab, string reason);

    public async ValueTask DisposeAsync()
    {
        _vms.Changed -= OnVmChanged;
        _watcher.ReadFailed -= OnKernelReadFailed;
        _files?.Dispose();
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks).ContinueWith(_ => { }, CancellationToken.None);
        await _watcher.DisposeAsync();
        _stop.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Engine;
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
        // The cursor is taken before the journal is read: an entry appended in between is either in the file
        // read or numbered at or after the lines read, never lost and never shown twice.
        var cursor = _ring.Next;
        var journal = _store.JournalOf(_lab).ReadAll();
        long loaded = journal.Count;
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
        yield return new LabUpdate { Topology = topology, KernelProblem = problem, Journal = journal, Vms = vms, Guests = guests };

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
                    case JournalAppended { Line: var line, Entry: var entry } when line >= loaded:
                        appended.Add(entry);
                        loaded = line + 1;
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
            IReadOnlyList<JournalEntry>? whole = null;
            if (restarted)
            {
                whole = _store.JournalOf(_lab).ReadAll();
                loaded = whole.Count;
                appended.Clear();
            }
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
                Journal = whole,
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

    private void OnVmChanged(VmStatus status)
    {
        if (status.Lab == _lab) _pokes.Writer.TryWrite(true);
    }

    private FileSystemWatcher? WatchRuntimeFolder()
    {
        try
        {
            Directory.CreateDirectory(_store.Root);
            var folder = _store.FolderOf(_lab) + Path.DirectorySeparatorChar;
            var watcher = new FileSystemWatcher(_store.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            void OnChange(object? sender, FileSystemEventArgs e)
            {
                if (e.FullPath.StartsWith(folder, StringComparison.Ordinal) || e.FullPath == folder.TrimEnd(Path.DirectorySeparatorChar))
                    _pokes.Writer.TryWrite(true);
            }
            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += (sender, e) => OnChange(sender, e);
            // An overflowed inotify queue loses events, not state: read everything again.
            watcher.Error += (_, _) => _pokes.Writer.TryWrite(true);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogNoFileWatch(_lab, e.Message);
            return null;
        }
    }

    private async Task FollowFilesAsync(CancellationToken cancellationToken)
    {
        using var tick = new PeriodicTimer(Tick);
        var ticking = TickAsync(tick, cancellationToken);
        try
        {
            while (await _pokes.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(Debounce, cancellationToken);
                _pokes.Reader.TryRead(out _);
                try
                {
                    FollowJournal();
                    FollowVms();
                }
                catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or LabFileException)
                {
                    LogFollowFailed(_lab, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await ticking;
    }

    private async Task TickAsync(PeriodicTimer tick, CancellationToken cancellationToken)
    {
        try
        {
            while (await tick.WaitForNextTickAsync(cancellationToken))
                _pokes.Writer.TryWrite(true);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Reads only what was appended since the last look, and only whole lines (a writer may be mid-line).
    private void FollowJournal()
    {
        var path = _store.JournalOf(_lab).Path;
        var length = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (length < _journalOffset)
        {
            _journalOffset = 0;
            _journalLines = 0;
            _ring.Append(new JournalRestarted());
        }
        if (length == _journalOffset) return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(_journalOffset, SeekOrigin.Begin);
        var bytes = new byte[length - _journalOffset];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        var consumed = 0;
        for (var newline = Array.IndexOf(bytes, (byte)'\n', 0, read); newline >= 0; newline = Array.IndexOf(bytes, (byte)'\n', consumed, read - consumed))
        {
            var line = bytes.AsSpan(consumed, newline - consumed);
            consumed = newline + 1;
            if (line.IsEmpty) continue;
            if (ParseEntry(line) is { } entry)
            {
                _ring.Append(new JournalAppended(_journalLines, entry));
                // A guest command may have changed what the guest holds: look now.
                if (entry.Argv is ["guest-agent", ..]) _guestPokes.Writer.TryWrite(true);
            }
            _journalLines++;
        }
        _journalOffset += consumed;
    }

    private JournalEntry? ParseEntry(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, RuntimeJson.Default.JournalEntry);
        }
        catch (JsonException e)
        {
            // A line edited by hand is skipped, not retried forever.
            LogFollowFailed(_lab, $"journal line {_journalLines + 1} is not an entry: {e.Message}");
            return null;
        }
    }

    private void FollowVms()
    {
        var now = ReadVmStates();
        foreach (var status in now)
        {
            var before = _vmStates.GetValueOrDefault(status.Name);
            if (before is not null && before.State == status.State && before.Pid == status.Pid) continue;
            if (status.IsUp && before?.IsUp != true)
                WatchVm(status.Name);
            if (status.State == VmState.Running) _guestPokes.Writer.TryWrite(true);
            _ring.Append(new VmStateChanged(status));
        }
        lock (_gate)
            _vmStates = now.ToDictionary(s => s.Name);
    }

    private async Task FollowGuestsAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using (var look = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    look.CancelAfter(GuestLook);
                    try
                    {
                        await _guestPokes.Reader.WaitToReadAsync(look.Token);
                        _guestPokes.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }
                try
                {
                    await LookAtGuestsAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad look (a VM removed mid-read, a lab file edited into an invalid one) must not end the following.
                    LogFollowFailed(_lab, $"reading the guests failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LookAtGuestsAsync(CancellationToken cancellationToken)
    {
        var now = new Dictionary<string, GuestState>();
        foreach (var vm in _store.TryReadDefinition(_lab)?.Vms ?? [])
        {
            var before = _guests.GetValueOrDefault(vm.Name);
            var state = await _vms.ReadGuestAsync(_lab, vm, cancellationToken);
            // An agent busy with a person's command keeps the last state it gave rather than none.
            if (state is null && before is not null && _vms.StatusOf(_lab, vm).State == VmState.Running) state = before;
            if (state is not null) now[vm.Name] = state;
            if (!(state?.SameAs(before) ?? before is null))
                _ring.Append(new GuestChanged(vm.Name, state));
        }
        lock (_gate)
            _guests = now;
    }

    private IReadOnlyList<VmStatus> ReadVmStates() =>
        _store.TryReadDefinition(_lab)?.Vms.Select(vm => _vms.StatusOf(_lab, vm)).ToList() ?? [];

    // A QEMU started by another process is followed here too, so its exit is seen at once through its pidfd.
    private void WatchVm(string name)
    {
        if (_store.TryReadDefinition(_lab)?.Vm(name) is { } vm)
            _vms.Watch(_lab, vm);
    }

    private (long Offset, long Lines) CountJournal()
    {
        var path = _store.JournalOf(_lab).Path;
        if (!File.Exists(path)) return (0, 0);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long offset = 0, lines = 0, position = 0;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                lines++;
                offset = position + i + 1;
            }
            position += read;
        }
        return (offset, lines);
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

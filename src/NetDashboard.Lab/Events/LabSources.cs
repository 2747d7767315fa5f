using NetDashboard.Lab.Runtime;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// One lab's event sources, all appending to one <see cref="EventRing{T}"/>: the kernel, the journal, the VMs' states
/// and the guests. The journal and the VM states are looked at whenever the lab's runtime folder changes.
/// </summary>
internal sealed class LabSources : IAsyncDisposable
{
    private const int RingCapacity = 4096;

    private readonly string _lab;
    private readonly VmSupervisor _vms;
    private readonly ILogger _logger;
    private readonly LabFolderWatch _folder;
    private readonly JournalTail _journal;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

    public LabSources(string lab, ITopologySource reader, LabRuntimeStore store, VmSupervisor vms, ILogger logger)
    {
        _lab = lab;
        _vms = vms;
        _logger = logger;
        _journal = new JournalTail(lab, store.JournalOf(lab), Ring, logger);
        VmStates = new VmStateSource(lab, store, vms, Ring);
        Guests = new GuestStateSource(lab, store, vms, Ring, logger);
        Kernel = new KernelSource(lab, reader, Ring, logger);
        _folder = new LabFolderWatch(lab, store, logger);
        _vms.Changed += OnVmChanged;
        _tasks.Add(Task.Run(() => Kernel.RunAsync(_stop.Token)));
        _tasks.Add(Task.Run(() => _folder.RunAsync(Look, _stop.Token)));
        _tasks.Add(Task.Run(() => Guests.RunAsync(_stop.Token)));
    }

    public EventRing<LabEvent> Ring { get; } = new(RingCapacity);

    public KernelSource Kernel { get; }

    public VmStateSource VmStates { get; }

    public GuestStateSource Guests { get; }

    /// <summary>Read the kernel, the journal and the VMs now (after this process changed the lab).</summary>
    public void Poke()
    {
        Kernel.Trigger();
        _folder.Poke();
    }

    private void OnVmChanged(VmStatus status)
    {
        if (status.Lab == _lab) _folder.Poke();
    }

    private void Look()
    {
        try
        {
            // A guest command may have changed what the guest holds, and a guest that became ready holds something now.
            if (_journal.Follow().Any(e => e.Argv is [JournalEntry.GuestAgent, ..]))
                Guests.Poke();
            if (VmStates.Follow().Any(s => s.State == VmState.Running))
                Guests.Poke();
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or LabFileException)
        {
            _logger.FollowFailed(_lab, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _vms.Changed -= OnVmChanged;
        _folder.Dispose();
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks).ContinueWith(_ => { }, CancellationToken.None);
        await Kernel.DisposeAsync();
        _stop.Dispose();
    }
}

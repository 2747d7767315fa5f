using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// A lab's VM states, recomputed at each look from the runtime record and the processes (so a VM the CLI started or
/// stopped shows too), and diffed with the last look: a VM whose state or pid changed gets a <see cref="VmStateChanged"/>.
/// </summary>
internal sealed class VmStateSource
{
    private readonly string _lab;
    private readonly LabRuntimeStore _store;
    private readonly VmSupervisor _vms;
    private readonly EventRing<LabEvent> _ring;
    private readonly Lock _gate = new();
    private IReadOnlyList<VmStatus> _states;

    public VmStateSource(string lab, LabRuntimeStore store, VmSupervisor vms, EventRing<LabEvent> ring)
    {
        _lab = lab;
        _store = store;
        _vms = vms;
        _ring = ring;
        var now = Read();
        foreach (var (vm, _) in now.Where(n => n.Status.IsUp))
            _vms.Watch(lab, vm);
        _states = [.. now.Select(n => n.Status)];
    }

    /// <summary>Every VM's state at the last look, in the lab file's order.</summary>
    public IReadOnlyList<VmStatus> States
    {
        get { lock (_gate) return _states; }
    }

    /// <summary>Looks again; appends an event for each VM that changed, and returns those VMs' new states.</summary>
    public IReadOnlyList<VmStatus> Follow()
    {
        var now = Read();
        var last = States.ToDictionary(s => s.Name);
        var changes = new List<VmStatus>();
        foreach (var (vm, status) in now)
        {
            var before = last.GetValueOrDefault(status.Name);
            if (before is not null && before.State == status.State && before.Pid == status.Pid) continue;
            // A QEMU started by another process is followed here too, so its exit is seen at once through its pidfd.
            if (status.IsUp && before?.IsUp != true)
                _vms.Watch(_lab, vm);
            changes.Add(status);
        }
        // The states first: a viewer woken by an event reads them, and must not read the ones before it.
        lock (_gate)
            _states = [.. now.Select(n => n.Status)];
        foreach (var status in changes)
            _ring.Append(new VmStateChanged(status));
        return changes;
    }

    private List<(VmDefinition Vm, VmStatus Status)> Read() =>
        _store.TryReadDefinition(_lab)?.Vms.Select(vm => (vm, _vms.StatusOf(_lab, vm))).ToList() ?? [];
}

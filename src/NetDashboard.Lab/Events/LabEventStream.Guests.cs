using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

// Following the VMs' states (runtime record and processes) and what their guests hold.
internal sealed partial class LabEventStream
{
    private void OnVmChanged(VmStatus status)
    {
        if (status.Lab == _lab) _pokes.Writer.TryWrite(true);
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
}

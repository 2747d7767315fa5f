using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;

namespace NetDashboard.Lab.Vms;

/// <summary>
/// A VM whose starter was killed before it recorded QEMU's pid: its QEMU is found by the pid file on its command
/// line, adopted once it has started, and waited for while it still starts.
/// </summary>
public sealed partial class VmSupervisor
{
    // A QEMU started with this VM's pid file by a starter that did not live to record it. With -daemonize, QEMU points
    // its standard input at /dev/null just before it tells its launcher it runs: until then it is still starting, and
    // if that launcher is gone (killed with the starter's process group: Ctrl-C, a tree kill) it exits as it finishes.
    private (int? Started, int? StillStarting) QemuOf(string lab, string vm)
    {
        int? started = null, stillStarting = null;
        foreach (var pid in ProcessTable.AllRunningAs("qemu-system-x86_64", store.PathsOf(lab, vm).PidFile))
        {
            if (ProcessTable.StandardInputOf(pid) == "/dev/null") started ??= pid;
            else stillStarting ??= pid;
        }
        return (started, stillStarting);
    }

    private VmRecord Adopt(string lab, string vm, int pid)
    {
        var adopted = new VmRecord(pid, DateTimeOffset.UtcNow);
        try
        {
            Record(lab, vm, adopted);
        }
        catch (RuntimeFolderException)
        {
            // Shown as running all the same; the record is written at the next look that can.
        }
        return adopted;
    }

    /// <summary>
    /// Waits out a start another process left unfinished (its record says starting, its QEMU is still daemonizing), so
    /// the VM is neither started twice nor counted as running and then lost: the QEMU either finishes, is adopted and
    /// greets on QMP, or exits because its launcher is gone, and the VM is then stopped (or crashed) and can be started.
    /// </summary>
    private async Task AwaitUnfinishedStartAsync(string lab, string vm, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + UnfinishedStartWait;
        while (store.Read(lab)?.Vms.GetValueOrDefault(vm) is { Starting: true } record && !IsQemuOf(lab, vm, record.Pid))
        {
            var (started, stillStarting) = QemuOf(lab, vm);
            if (started is { } pid)
            {
                Adopt(lab, vm, pid);
                await QmpClient.GreetsAsync(store.PathsOf(lab, vm).Qmp, QmpTimeout, cancellationToken);
                return;
            }
            if (stillStarting is null || DateTime.UtcNow > deadline) return;
            await Task.Delay(50, cancellationToken);
        }
    }

    // Only this VM's QEMU was started with its pid file: a pid the kernel gave to another process since, even to
    // another VM's QEMU, is not adopted, watched or stopped.
    private bool IsQemuOf(string lab, string vm, int pid) =>
        ProcessTable.IsRunningAs(pid, "qemu-system-x86_64", store.PathsOf(lab, vm).PidFile);
}

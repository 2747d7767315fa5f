using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Services;

/// <summary>
/// Takes over the labs the dashboard finds when it starts (after a crash or a kill -9 of the dashboard alone): each
/// lab's record and the kernel are read again, every QEMU that still runs as recorded is watched again so its exit is
/// seen at once, and what no longer is as the lab file wants (drift, a VM gone meanwhile) is logged. A VM that
/// crashes later is logged too: the log is where a person looks when no page was open. The web host runs it in the
/// background while it serves.
/// </summary>
public sealed partial class LabAdoption(LabService labs, LabRuntimeStore store, VmSupervisor vms, ILogger<LabAdoption> logger)
{
    /// <summary>Logs every crash of a VM until the result is disposed.</summary>
    public IDisposable LogCrashes()
    {
        vms.Changed += LogCrash;
        return new Unsubscribe(() => vms.Changed -= LogCrash);
    }

    private sealed class Unsubscribe(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }

    /// <summary>Adopts every lab of the runtime folder, one after the other.</summary>
    public async Task AdoptAllAsync(CancellationToken stoppingToken)
    {
        // A trace the last dashboard was killed in left its tracefs instance (once per start, with or without labs; its
        // lab may be gone) and its netfilter table in the lab: ours, removed by name.
        try
        {
            foreach (var instance in LabService.RemoveDeadTraceInstances())
                LogTraceInstanceRemoved(instance);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogTraceInstancesNotRemoved(e.Message);
        }
        foreach (var lab in store.ListLabs())
        {
            try
            {
                await labs.RemoveTraceLeftoversAsync(lab, stoppingToken);
                await AdoptAsync(lab, stoppingToken);
            }
            // One unreadable lab (an edited lab file, a kernel read that failed) must not leave the others unwatched.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAdoptionFailed(lab, e.Message);
            }
        }
    }

    private async Task AdoptAsync(string lab, CancellationToken cancellationToken)
    {
        if (labs.DefinitionOf(lab) is not { } definition) return;
        foreach (var vm in definition.Vms)
        {
            var status = vms.StatusOf(lab, vm);
            if (status.IsUp)
            {
                vms.Watch(lab, vm);
                LogAdopted(lab, vm.Name, status.Pid!.Value);
            }
            else if (status.State == VmState.Crashed)
            {
                LogGoneMeanwhile(lab, vm.Name, status.Pid!.Value);
            }
        }
        // A lesson's missing steps are the learner's to do, not drift.
        if (store.Read(lab)?.AsLesson == true || await labs.TopologyAsync(lab, cancellationToken) is not { } topology) return;
        var drift = labs.DriftOf(lab, definition, topology);
        if (drift.Count > 0)
            LogDrift(lab, drift.Count, string.Join("  ;  ", drift));
    }

    private void LogCrash(VmStatus status)
    {
        if (status.State == VmState.Crashed)
            LogCrashed(status.Lab, status.Name, status.Pid!.Value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed tracefs instance {Instance}: a trace of a process that no longer runs left it")]
    private partial void LogTraceInstanceRemoved(string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tracefs instances of killed traces could not be removed: {Problem}")]
    private partial void LogTraceInstancesNotRemoved(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lab {Lab}: adopted {Vm}, its QEMU (pid {Pid}) still runs")]
    private partial void LogAdopted(string lab, string vm, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: {Vm} was not adopted: its QEMU (pid {Pid}) no longer runs; it shows as crashed")]
    private partial void LogGoneMeanwhile(string lab, string vm, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: drift, the kernel lacks {Count} things the lab file wants: {Steps}")]
    private partial void LogDrift(string lab, int count, string steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: {Vm} crashed: its QEMU (pid {Pid}) exited without being stopped")]
    private partial void LogCrashed(string lab, string vm, int pid);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lab {Lab} could not be taken over at start: {Reason}")]
    private partial void LogAdoptionFailed(string lab, string reason);
}

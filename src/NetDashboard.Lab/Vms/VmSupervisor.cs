using NetDashboard.Lab.Runtime;
using System.Collections.Concurrent;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Vms;

/// <summary>
/// Starts, stops and watches QEMU processes. State comes from the runtime record and the process itself,
/// so a VM started by the CLI shows the same state in the dashboard; a process that dies is seen at once
/// through a pidfd, and one that was not stopped on purpose is reported as crashed with its last serial lines.
/// </summary>
public sealed partial class VmSupervisor(OperationRunner operations, LabRuntimeStore store, GuestImage guest, DiskImages images, QemuAccelerator accelerator)
    : IAsyncDisposable
{
    private static readonly TimeSpan QuitGrace = TimeSpan.FromSeconds(3);
    // Longer than QMP's own 2 s wait for the quit's reply.
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(5);
    // Longer than QEMU takes to daemonize on a loaded machine under TCG.
    private static readonly TimeSpan UnfinishedStartWait = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string Lab, string Vm), CancellationTokenSource> _watches = new();
    // The agent runs one command at a time: callers wait their turn here instead of meeting a busy socket.
    private readonly TakingTurns<(string Lab, string Vm)> _guestTurns = new(MaxGuestCommandsWaiting);

    /// <summary>Guest commands to one VM that may wait their turn behind the one running.</summary>
    public const int MaxGuestCommandsWaiting = 8;

    /// <summary>Raised when a watched VM changes state (started, ready, stopped, crashed).</summary>
    public event Action<VmStatus>? Changed;

    public GuestImage Guest => guest;

    public DiskImages Images => images;

    /// <summary>Why this VM cannot boot (its image missing, outside the image folders, not a file), or null when it can.</summary>
    public string? ImageProblem(VmDefinition vm) => ImageProblem(vm.Image);

    /// <summary>Why an image ("builtin" or a disk image's name or path) cannot boot, or null.</summary>
    public string? ImageProblem(string image) => image == VmDefinition.BuiltinImage ? guest.Problem : images.Resolve(image).Problem;

    public VmStatus StatusOf(string lab, VmDefinition vm)
    {
        var record = store.Read(lab)?.Vms.GetValueOrDefault(vm.Name);
        if (record is { Starting: true } && !IsQemuOf(lab, vm.Name, record.Pid))
        {
            var (started, stillStarting) = QemuOf(lab, vm.Name);
            if (started is { } pid)
                record = Adopt(lab, vm.Name, pid);
            else if (stillStarting is { } launching)
                return new VmStatus(lab, vm.Name, VmState.Starting, launching, vm.Mac.ToString(), vm.Tap);
        }
        // Marked before a start whose QEMU never ran (its starter was stopped first, or QEMU refused): not a crash.
        if (record is null or { Starting: true })
            return new VmStatus(lab, vm.Name, VmState.Stopped, null, vm.Mac.ToString(), vm.Tap);
        if (IsQemuOf(lab, vm.Name, record.Pid))
        {
            var ready = !vm.IsBuiltin || SerialLog.SaysReady(store.PathsOf(lab, vm.Name));
            return new VmStatus(lab, vm.Name, ready ? VmState.Running : VmState.Starting, record.Pid, vm.Mac.ToString(), vm.Tap);
        }
        return record.StoppedOnPurpose
            ? new VmStatus(lab, vm.Name, VmState.Stopped, null, vm.Mac.ToString(), vm.Tap)
            : new VmStatus(lab, vm.Name, VmState.Crashed, record.Pid, vm.Mac.ToString(), vm.Tap,
                $"QEMU (pid {record.Pid}) exited without being stopped. Last serial lines:\n{LastSerialLines(lab, vm.Name, 10)}");
    }

    /// <summary>Starts the VM's QEMU in the lab's host namespace; QEMU creates the tap. Returns when QEMU runs (not yet ready).</summary>
    public async Task<VmStatus> StartAsync(string lab, VmDefinition vm, CancellationToken cancellationToken = default)
    {
        await AwaitUnfinishedStartAsync(lab, vm.Name, cancellationToken);
        var current = StatusOf(lab, vm);
        if (current.IsUp) return current;
        var disk = Bootable(lab, vm);

        var paths = store.PathsOf(lab, vm.Name);
        RuntimeFile.CreateFolder(paths.Folder);
        foreach (var stale in new[] { paths.PidFile, paths.Qmp, paths.Vnc, paths.Serial, paths.Agent, paths.SerialLog, paths.SerialLogBefore, paths.ReadyMark })
            File.Delete(stale);
        var operation = new StartVm(new LabNamespaces(lab).Host, vm, paths, guest,
            disk,
            Kvm: accelerator == QemuAccelerator.Kvm || (accelerator == QemuAccelerator.Auto && File.Exists("/dev/kvm")));
        // Recorded before QEMU runs: killed from here on, this process leaves a QEMU the next look adopts (StatusOf).
        Record(lab, vm.Name, new VmRecord(0, DateTimeOffset.UtcNow, Starting: true));
        try
        {
            await operations.RunAsync(lab, operation, cancellationToken);
        }
        catch (HostCommandException)
        {
            // QEMU refused and exited: nothing to adopt, so no look should go searching for it.
            Record(lab, vm.Name, new VmRecord(0, DateTimeOffset.UtcNow, StoppedOnPurpose: true));
            throw;
        }

        var pid = int.Parse(File.ReadAllText(paths.PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Record(lab, vm.Name, new VmRecord(pid, DateTimeOffset.UtcNow));
        Watch(lab, vm);
        var status = StatusOf(lab, vm);
        Changed?.Invoke(status);
        return status;
    }

    /// <summary>The disk the VM boots (null for the built-in guest); throws, with nothing run, when QEMU or the image is missing.</summary>
    private DiskImageFile? Bootable(string lab, VmDefinition vm)
    {
        var problems = HostTools.Missing([HostTools.Qemu]).Select(sentence => new LabFileProblem("host", sentence)).ToList();
        var (disk, imageProblem) = vm.IsBuiltin ? (null, guest.Problem) : images.Resolve(vm.Image);
        if (imageProblem is not null)
            problems.Add(new LabFileProblem($"vms.{vm.Name}.image", imageProblem));
        return problems.Count == 0 ? disk : throw new LabFileException($"lab {lab}", problems);
    }

    /// <summary>Waits until the guest's agent answers (built-in guest) or QEMU runs (disk image).</summary>
    public async Task<VmStatus> WaitReadyAsync(string lab, VmDefinition vm, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var paths = store.PathsOf(lab, vm.Name);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = StatusOf(lab, vm);
            if (!status.IsUp)
                throw new GuestCommandException($"{vm.Name} is {status.State.ToString().ToLowerInvariant()}. {status.Detail}".Trim());
            // The agent drops a ping sent before it is up, so ask only once the console has said READY.
            if (!vm.IsBuiltin
                || (status.State == VmState.Running && await GuestAgentClient.PingAsync(paths.Agent, TimeSpan.FromSeconds(1), cancellationToken)))
            {
                var ready = status with { State = VmState.Running };
                Changed?.Invoke(ready);
                return ready;
            }
            if (DateTime.UtcNow > deadline)
                throw new GuestCommandException($"{vm.Name} did not become ready within {timeout.TotalSeconds:0} s. Last serial lines:\n{LastSerialLines(lab, vm.Name, 10)}");
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Stops the VM: QMP quit first, SIGKILL when QEMU has not exited after a grace period.</summary>
    public async Task<VmStatus> StopAsync(string lab, VmDefinition vm, CancellationToken cancellationToken = default)
    {
        await StopAsync(lab, vm.Name, cancellationToken);
        var status = StatusOf(lab, vm);
        Changed?.Invoke(status);
        return status;
    }

    /// <summary>
    /// Stops a VM known only by name (teardown reads no lab file). A teardown (<paramref name="tearingDown"/>) needs no
    /// new space: it deletes the record and the journal anyway, so a full runtime folder only loses the "stopped on
    /// purpose" mark and the kill's journal line.
    /// </summary>
    public async Task StopAsync(string lab, string vmName, CancellationToken cancellationToken = default, bool tearingDown = false)
    {
        await AwaitUnfinishedStartAsync(lab, vmName, cancellationToken);
        var record = store.Read(lab)?.Vms.GetValueOrDefault(vmName);
        if (record is { Starting: true })
        {
            // Still starting after the wait: stopped all the same, so a teardown leaves no QEMU behind.
            var (started, stillStarting) = QemuOf(lab, vmName);
            record = (started ?? stillStarting) is { } pid ? new VmRecord(pid, DateTimeOffset.UtcNow) : null;
        }
        if (record is null || !IsQemuOf(lab, vmName, record.Pid))
            return;
        try
        {
            store.Update(lab, r => r with { Vms = new Dictionary<string, VmRecord>(r.Vms) { [vmName] = record with { StoppedOnPurpose = true } } });
        }
        catch (RuntimeFolderException) when (tearingDown)
        {
        }
        var ns = new LabNamespaces(lab).Host;
        var exited = ProcessExit.WaitAsync(record.Pid, cancellationToken);
        var quitAt = DateTimeOffset.UtcNow;
        // Asked for a while only: a QEMU that hangs (or was stopped) takes the connection into its socket's backlog and
        // never answers, and the journaled kill below must not wait for it forever, with the lab's lock held.
        using var qmpWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        qmpWait.CancelAfter(QmpTimeout);
        if (await QmpClient.QuitAsync(store.PathsOf(lab, vmName).Qmp, qmpWait.Token))
        {
            if (!tearingDown) JournalQuit(lab, vmName, quitAt);
        }
        else
            await operations.RunAsync(lab, new StopProcess(ns, record.Pid, Force: false), cancellationToken, journaled: !tearingDown);
        if (await Task.WhenAny(exited, Task.Delay(QuitGrace, cancellationToken)) != exited)
            await operations.RunAsync(lab, new StopProcess(ns, record.Pid, Force: true), cancellationToken, journaled: !tearingDown);
        await exited;
    }

    public async Task<VmStatus> RestartAsync(string lab, VmDefinition vm, CancellationToken cancellationToken = default)
    {
        // Before the stop: a restart that could not start again would leave the VM stopped.
        Bootable(lab, vm);
        await StopAsync(lab, vm, cancellationToken);
        return await StartAsync(lab, vm, cancellationToken);
    }

    /// <summary>
    /// Runs a command in a built-in guest and journals it as "(vm1)$ CMD"; a rebuild script runs it again unless it is a
    /// probe (<paramref name="replayable"/> false: a ping that asks, not a step that builds).
    /// </summary>
    public async Task<GuestResult> ExecAsync(string lab, VmDefinition vm, string command, TimeSpan timeout, bool replayable = true,
        CancellationToken cancellationToken = default)
    {
        if (!vm.IsBuiltin)
            throw new GuestCommandException($"{vm.Name} boots a disk image ({vm.Image}); guest commands need the built-in guest. Use its console instead.");
        if (InputRules.CheckGuestCommand(command) is { } problem)
            throw new GuestCommandException(problem);
        var status = StatusOf(lab, vm);
        if (!status.IsUp)
            throw new GuestCommandException($"{vm.Name} is {status.State.ToString().ToLowerInvariant()}; start it first");
        // The agent drops what arrives before it is up: a guest still booting is waited for.
        if (status.State == VmState.Starting)
            await WaitReadyAsync(lab, vm, TimeSpan.FromSeconds(90), cancellationToken);
        var paths = store.PathsOf(lab, vm.Name);
        using var turn = await _guestTurns.TakeAsync((lab, vm.Name), timeout, $"guest commands to {vm.Name}", cancellationToken);
        var started = DateTimeOffset.UtcNow;
        GuestResult result;
        try
        {
            result = await GuestAgentClient.RunAsync(paths.Agent, command, timeout, cancellationToken);
        }
        catch (GuestCommandException e)
        {
            Journal(lab, vm.Name, command, started, -1, e.Message, TimeSpan.Zero, outputTruncated: false, replayable);
            throw;
        }
        Journal(lab, vm.Name, command, started, result.ExitCode, result.Succeeded ? "" : result.Output.Trim(), result.Duration, result.OutputTruncated, replayable);
        return result;
    }

    /// <summary>
    /// What the guest holds now (addresses, routes, ARP), read through its agent and not journaled: reading changes
    /// nothing. Null when the VM is not running or the agent does not answer in time; unknown for a disk image.
    /// </summary>
    public async Task<GuestState?> ReadGuestAsync(string lab, VmDefinition vm, CancellationToken cancellationToken = default)
    {
        if (StatusOf(lab, vm).State != VmState.Running) return null;
        if (!vm.IsBuiltin) return GuestState.Unknown(DateTimeOffset.UtcNow);
        try
        {
            using var turn = await _guestTurns.TakeAsync((lab, vm.Name), TimeSpan.FromSeconds(3), $"guest commands to {vm.Name}", cancellationToken);
            var result = await GuestAgentClient.RunAsync(store.PathsOf(lab, vm.Name).Agent, GuestState.Command, TimeSpan.FromSeconds(3), cancellationToken);
            return result.Succeeded || result.Output.Contains("@@", StringComparison.Ordinal) ? GuestState.Parse(result.Output, DateTimeOffset.UtcNow) : null;
        }
        catch (Exception e) when (e is GuestCommandException or LabLimitException or IOException or System.Net.Sockets.SocketException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Busy with a person's command, still booting, or just stopped: try again at the next look.
            return null;
        }
    }

    /// <summary>Follows a VM's process so its exit is reported the moment it happens.</summary>
    public void Watch(string lab, VmDefinition vm)
    {
        var record = store.Read(lab)?.Vms.GetValueOrDefault(vm.Name);
        if (record is null || !IsQemuOf(lab, vm.Name, record.Pid)) return;
        // Not linked to a parent token: a linked source stays registered with its parent until disposed, which
        // kept one registration alive for every VM start.
        var stop = new CancellationTokenSource();
        if (_watches.TryGetValue((lab, vm.Name), out var previous))
            previous.Cancel();
        _watches[(lab, vm.Name)] = stop;
        _ = ProcessExit.WaitAsync(record.Pid, stop.Token).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && store.Read(lab) is not null)
                Changed?.Invoke(StatusOf(lab, vm));
        }, TaskScheduler.Default);
    }

    public void Forget(string lab)
    {
        foreach (var key in _watches.Keys.Where(k => k.Lab == lab))
        {
            if (_watches.TryRemove(key, out var watch))
                watch.Cancel();
        }
    }

    public string LastSerialLines(string lab, string vm, int count) => SerialLog.LastLines(store.PathsOf(lab, vm), count);

    /// <summary>
    /// Keeps the lab's folder within its quota: each VM's serial.log, which QEMU grows by itself, is rotated at 1 MiB;
    /// when the folder is over its cap anyway, serial output is dropped, older first. Returns what was dropped, in
    /// sentences (none when nothing was). The dashboard calls it twice a second, the CLI on each command.
    /// </summary>
    public IReadOnlyList<string> KeepFolderBounded(string lab)
    {
        var folder = store.FolderOf(lab);
        var vmsFolder = Path.Combine(folder, "vms");
        if (!Directory.Exists(vmsFolder)) return [];
        var vms = Directory.EnumerateDirectories(vmsFolder).Order(StringComparer.Ordinal).Select(d => new VmPaths(d)).ToList();
        foreach (var paths in vms)
            SerialLog.Rotate(paths);
        var quota = operations.Quota;
        var dropped = new List<string>();
        foreach (var older in new[] { true, false })
        {
            foreach (var paths in vms)
            {
                if (quota.RoomIn(folder) >= 0) return dropped;
                var vm = Path.GetFileName(paths.Folder);
                if (older && File.Exists(paths.SerialLogBefore))
                {
                    File.Delete(paths.SerialLogBefore);
                    dropped.Add($"{quota.CapReached}; the older serial output of {vm} (serial.log.1) was not kept");
                }
                else if (!older && File.Exists(paths.SerialLog) && new FileInfo(paths.SerialLog).Length > 0)
                {
                    SerialLog.Drop(paths, $"{quota.CapReached}; serial output before this line not kept");
                    dropped.Add($"{quota.CapReached}; the serial output of {vm} was not kept");
                }
            }
        }
        return dropped;
    }

    private void Journal(string lab, string vm, string command, DateTimeOffset started, int exitCode, string error, TimeSpan duration, bool outputTruncated,
        bool replayable) =>
        operations.Append(lab, new JournalEntry
        {
            Time = started,
            Who = vm,
            Namespace = new LabNamespaces(lab).Host,
            // The command once: a guest entry's tutorial is its command.
            Argv = [JournalEntry.GuestAgent, vm, command],
            ExitCode = exitCode,
            StandardError = error,
            DurationMs = duration.TotalMilliseconds,
            Replayable = replayable,
            OutputTruncated = outputTruncated,
        });

    // A stop is part of the lab's history: a rebuild that starts the VM again must stop it first.
    private void JournalQuit(string lab, string vm, DateTimeOffset started) =>
        operations.Append(lab, new JournalEntry
        {
            Time = started,
            Who = vm,
            Namespace = new LabNamespaces(lab).Host,
            Argv = [JournalEntry.Qmp, vm, "quit"],
            Tutorial = $"# stop {vm}: quit in its QEMU monitor (QMP)",
            Remark = true,
            ExitCode = 0,
            DurationMs = (DateTimeOffset.UtcNow - started).TotalMilliseconds,
        });

    private void Record(string lab, string vm, VmRecord record) =>
        store.Update(lab, r => r with { Vms = new Dictionary<string, VmRecord>(r.Vms) { [vm] = record } });

    public async ValueTask DisposeAsync()
    {
        foreach (var watch in _watches.Values)
            await watch.CancelAsync();
    }
}

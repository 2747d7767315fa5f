using NetDashboard.Lab.Runtime;
using System.Diagnostics;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// A VM's record names its QEMU's pid. Once that QEMU has exited, the kernel may give the number to any process, even
/// to another VM's QEMU: such a pid is not the VM's, so it is not shown running and not stopped. The pids here are held
/// by stand-ins: a process whose command line starts with qemu-system-x86_64 and names a VM's pid file, as a QEMU's
/// does. Needs neither root nor QEMU.
/// </summary>
public sealed class VmAdoptionTests : IAsyncLifetime
{
    private const string Lab = "adopt";
    private readonly string _root = Directory.CreateTempSubdirectory("netdash-adopt-").FullName;
    private readonly List<Process> _standIns = [];
    private readonly LabRuntimeStore _store;
    private readonly VmSupervisor _vms;
    private readonly VmDefinition _vm1;

    public VmAdoptionTests()
    {
        _store = new LabRuntimeStore(_root);
        _vms = new VmSupervisor(new OperationRunner(new HostRunner(), _store), _store, new GuestImage(_root), new DiskImages([_root]), QemuAccelerator.Tcg);
        _vm1 = LabFileLoader.Parse("""
            name: adopt
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
            """, "a test").Vms.Single();
    }

    [Fact]
    public async Task StatusOf_RecordedPidNowHeldByAnotherVmsQemu_CrashedAndStopLeavesThatProcessAlone()
    {
        var other = await StandInAsync(_store.PathsOf("another-lab", "vm1").PidFile);
        Record(other.Id);

        var status = _vms.StatusOf(Lab, _vm1);
        await _vms.StopAsync(Lab, _vm1.Name);

        Assert.Equal(VmState.Crashed, status.State);
        Assert.False(other.HasExited);
        Assert.False(_store.Read(Lab)!.Vms["vm1"].StoppedOnPurpose);
    }

    [Fact]
    public async Task StatusOf_RecordedPidHeldByThisVmsQemu_Up()
    {
        var own = await StandInAsync(_store.PathsOf(Lab, "vm1").PidFile);
        Record(own.Id);

        var status = _vms.StatusOf(Lab, _vm1);

        Assert.True(status.IsUp, $"vm1 is {status.State}");
        Assert.Equal(own.Id, status.Pid);
    }

    private void Record(int pid) =>
        _store.Write(new LabRecord
        {
            Name = Lab,
            CreatedAt = DateTimeOffset.UtcNow,
            Vms = new Dictionary<string, VmRecord> { ["vm1"] = new(pid, DateTimeOffset.UtcNow) },
        });

    /// <summary>A process named qemu-system-x86_64 whose command line holds "-pidfile PATH", as a QEMU's does; it only sleeps.</summary>
    private async Task<Process> StandInAsync(string pidFile)
    {
        var start = new ProcessStartInfo("bash");
        // "; :" keeps the inner bash alive as the named process instead of letting it exec sleep.
        foreach (var argument in new[] { "-c", "exec -a qemu-system-x86_64 bash -c 'sleep 60; :' stand-in -pidfile \"$1\"", "outer", pidFile })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        _standIns.Add(process);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!ProcessTable.IsRunningAs(process.Id, "qemu-system-x86_64", pidFile))
        {
            Assert.True(DateTime.UtcNow < deadline, "the stand-in did not take its QEMU-like command line");
            await Task.Delay(20);
        }
        return process;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _standIns)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        await _vms.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

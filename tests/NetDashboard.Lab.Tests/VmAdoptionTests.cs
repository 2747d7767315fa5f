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

    private async Task<Process> StandInAsync(string pidFile)
    {
        var process = await QemuStandIn.StartAsync(pidFile);
        _standIns.Add(process);
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

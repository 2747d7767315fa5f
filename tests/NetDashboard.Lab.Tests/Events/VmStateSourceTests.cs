using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Diagnostics;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests.Events;

/// <summary>
/// VM states diffed from one look to the next, from a runtime folder written by the test; a VM that comes up is held
/// by a <see cref="QemuStandIn"/>. Needs neither root nor QEMU.
/// </summary>
public sealed class VmStateSourceTests : IAsyncLifetime
{
    private const string Lab = "diff";
    // No process has it: pid_max is at most 2^22.
    private const int GonePid = int.MaxValue;

    private const string OneVm = """
        name: diff
        vms:
          - name: vm1
            mac: 52:54:98:76:54:30
            tap: tap0
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("netdash-vmdiff-").FullName;
    private readonly EventRing<LabEvent> _ring = new(64);
    private readonly LabRuntimeStore _store;
    private readonly VmSupervisor _vms;
    private Process? _standIn;

    public VmStateSourceTests()
    {
        _store = new LabRuntimeStore(_root);
        _vms = new VmSupervisor(new OperationRunner(new HostRunner(), _store), _store, new GuestImage(_root), new DiskImages([_root]), QemuAccelerator.Tcg);
        _store.SaveDefinition(Lab, OneVm);
        Record(null);
    }

    [Fact]
    public void States_AtStart_HoldEveryVmOfTheLabFile()
    {
        var source = Source();

        var vm1 = Assert.Single(source.States);

        Assert.Equal(("vm1", VmState.Stopped), (vm1.Name, vm1.State));
    }

    [Fact]
    public void Follow_NothingChanged_AppendsNothing()
    {
        var source = Source();

        var changes = source.Follow();

        Assert.Empty(changes);
        Assert.Empty(Events());
    }

    [Fact]
    public void Follow_QemuGoneWithoutAStop_AppendsCrashedOnce()
    {
        var source = Source();
        Record(new VmRecord(GonePid, DateTimeOffset.UtcNow));

        var first = source.Follow();
        var second = source.Follow();

        var crashed = Assert.Single(first);
        Assert.Equal((VmState.Crashed, GonePid), (crashed.State, crashed.Pid));
        Assert.Empty(second);
        Assert.Equal(crashed, Assert.IsType<VmStateChanged>(Assert.Single(Events())).Status);
        Assert.Equal(crashed, Assert.Single(source.States));
    }

    [Fact]
    public void Follow_SameStateOtherPid_AppendsTheNewStatus()
    {
        Record(new VmRecord(GonePid, DateTimeOffset.UtcNow));
        var source = Source();
        Record(new VmRecord(GonePid - 1, DateTimeOffset.UtcNow));

        var changed = Assert.Single(source.Follow());

        Assert.Equal((VmState.Crashed, GonePid - 1), (changed.State, changed.Pid));
        Assert.Equal(changed, Assert.IsType<VmStateChanged>(Assert.Single(Events())).Status);
    }

    [Fact]
    public void Follow_VmAddedToTheLabFile_AppendsItsStateAndKeepsTheFilesOrder()
    {
        var source = Source();
        _store.SaveDefinition(Lab, OneVm + """

              - name: vm2
                mac: 52:54:98:76:54:31
                tap: tap1
            """);

        var added = Assert.Single(source.Follow());

        Assert.Equal(("vm2", VmState.Stopped), (added.Name, added.State));
        Assert.Equal(["vm1", "vm2"], source.States.Select(s => s.Name));
        Assert.Equal(added, Assert.IsType<VmStateChanged>(Assert.Single(Events())).Status);
    }

    [Fact]
    public async Task Follow_VmCameUp_AppendsItAndWatchesItsProcessSoItsExitIsReported()
    {
        var source = Source();
        var pidFile = _store.PathsOf(Lab, "vm1").PidFile;
        _standIn = await QemuStandIn.StartAsync(pidFile);
        Record(new VmRecord(_standIn.Id, DateTimeOffset.UtcNow));
        var exited = new TaskCompletionSource<VmStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        _vms.Changed += status => exited.TrySetResult(status);

        var up = Assert.Single(source.Follow());
        _standIn.Kill(entireProcessTree: true);

        Assert.True(up.IsUp, $"vm1 is {up.State}");
        Assert.Equal(_standIn.Id, up.Pid);
        Assert.Equal(VmState.Crashed, (await exited.Task.WaitAsync(TimeSpan.FromSeconds(10))).State);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_standIn is not null)
        {
            _standIn.Kill(entireProcessTree: true);
            await _standIn.WaitForExitAsync();
            _standIn.Dispose();
        }
        await _vms.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private VmStateSource Source() => new(Lab, _store, _vms, _ring);

    private List<LabEvent> Events() => [.. _ring.Read(_ring.Oldest, _ring.Capacity).Items];

    private void Record(VmRecord? vm1) =>
        _store.Write(new LabRecord
        {
            Name = Lab,
            CreatedAt = DateTimeOffset.UtcNow,
            Vms = vm1 is null ? new Dictionary<string, VmRecord>() : new Dictionary<string, VmRecord> { ["vm1"] = vm1 },
        });
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Text;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// A VM's serial.log, which QEMU writes itself, rotated at 1 MiB into serial.log.1 and dropped when the lab's folder is
/// over its cap. Files written here stand in for QEMU's; IntegrationTests prove it with a real QEMU. Needs no root.
/// </summary>
public sealed class SerialLogTests : IDisposable
{
    private const string Lab = "t1";
    private const int MiB = 1024 * 1024;

    private readonly string _root = Directory.CreateTempSubdirectory("netdash-serial-").FullName;
    private readonly LabRuntimeStore _store;

    public SerialLogTests()
    {
        _store = new LabRuntimeStore(_root);
        _store.Write(new LabRecord { Name = Lab, CreatedAt = DateTimeOffset.UtcNow });
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private VmPaths Vm(string name)
    {
        var paths = _store.PathsOf(Lab, name);
        Directory.CreateDirectory(paths.Folder);
        return paths;
    }

    private VmSupervisor Supervisor(long cap) =>
        new(new OperationRunner(new HostRunner(), _store, new LabFolderQuota(cap)), _store, new GuestImage(_root), new DiskImages([_root]), QemuAccelerator.Tcg);

    private static string Lines(string prefix, int bytes)
    {
        var text = new StringBuilder();
        for (var i = 0; text.Length < bytes; i++) text.Append($"{prefix} {i:D8}\r\n");
        return text.ToString(0, bytes);
    }

    [Fact]
    public void Rotate_LogPast1MiB_LastMiBMovesToLog1AndLogIsEmptied()
    {
        var vm = Vm("vm1");
        var text = "NETDASH-READY vm1\r\n" + Lines("yes", 3 * MiB / 2);
        File.WriteAllText(vm.SerialLog, text);

        var rotated = SerialLog.Rotate(vm);

        Assert.True(rotated);
        Assert.Equal(0, new FileInfo(vm.SerialLog).Length);
        Assert.Equal(text[^MiB..], File.ReadAllText(vm.SerialLogBefore));
        // READY was in the part that went: the VM is still known to be ready.
        Assert.True(SerialLog.SaysReady(vm));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(vm.SerialLogBefore));
    }

    [Fact]
    public void Rotate_LogUnder1MiB_LeftAlone()
    {
        var vm = Vm("vm1");
        File.WriteAllText(vm.SerialLog, Lines("boot", MiB - 1));

        Assert.False(SerialLog.Rotate(vm));
        Assert.Equal(MiB - 1, new FileInfo(vm.SerialLog).Length);
        Assert.False(File.Exists(vm.SerialLogBefore));
    }

    // O_APPEND, as QEMU opens it with logappend=on (bash's >> does too): after the cut, what comes next lands at the new end.
    [Fact]
    public async Task Rotate_WriterHoldingTheLogInAppendMode_WritesOnAtTheStart()
    {
        var vm = Vm("vm1");
        using var writer = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash",
            ["-c", "exec 3>>\"$1\"; head -c 1048600 /dev/zero | tr '\\0' y >&3; echo written; read -r _; printf 'after\\r\\n' >&3", "_", vm.SerialLog])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true,
        })!;
        Assert.Equal("written", await writer.StandardOutput.ReadLineAsync());

        var rotated = SerialLog.Rotate(vm);
        await writer.StandardInput.WriteLineAsync("go");
        await writer.StandardInput.FlushAsync();
        await writer.WaitForExitAsync();

        Assert.True(rotated);
        Assert.Equal("after\r\n", File.ReadAllText(vm.SerialLog));
        Assert.Equal(MiB, new FileInfo(vm.SerialLogBefore).Length);
    }

    [Fact]
    public void LastLines_LogJustRotated_ReadsOnFromLog1()
    {
        var vm = Vm("vm1");
        File.WriteAllText(vm.SerialLogBefore, string.Concat(Enumerable.Repeat("old line\r\n", 4096)) + "login: \r\n");
        File.WriteAllText(vm.SerialLog, "vm1# ls\r\n");

        Assert.Equal("login: \nvm1# ls", SerialLog.LastLines(vm, 2));
    }

    [Fact]
    public void KeepFolderBounded_LogPast1MiB_RotatedAndNothingDropped()
    {
        var vm = Vm("vm1");
        File.WriteAllText(vm.SerialLog, Lines("yes", MiB + 1));

        var dropped = Supervisor(LabFolderQuota.DefaultMaxBytes).KeepFolderBounded(Lab);

        Assert.Empty(dropped);
        Assert.Equal(0, new FileInfo(vm.SerialLog).Length);
        Assert.Equal(MiB, new FileInfo(vm.SerialLogBefore).Length);
    }

    // Over the cap the older serial output goes first, then the current, each said in a sentence.
    [Fact]
    public void KeepFolderBounded_FolderOverItsCap_DropsSerialOutputOlderFirstAndSaysSo()
    {
        var vm1 = Vm("vm1");
        var vm2 = Vm("vm2");
        File.WriteAllBytes(Path.Combine(_store.FolderOf(Lab), "journal.jsonl"), new byte[2 * MiB]);
        File.WriteAllText(vm1.SerialLogBefore, Lines("old", MiB));
        File.WriteAllText(vm1.SerialLog, Lines("vm1", MiB / 2));
        File.WriteAllText(vm2.SerialLog, Lines("vm2", MiB / 2));

        var dropped = Supervisor(3 * MiB).KeepFolderBounded(Lab);

        Assert.Equal(
        [
            "the lab folder reached its 3 MiB cap; the older serial output of vm1 (serial.log.1) was not kept",
            "the lab folder reached its 3 MiB cap; the serial output of vm1 was not kept",
        ], dropped);
        Assert.False(File.Exists(vm1.SerialLogBefore));
        Assert.Contains("[netdash: the lab folder reached its 3 MiB cap; serial output before this line not kept]", File.ReadAllText(vm1.SerialLog));
        Assert.Equal(MiB / 2, new FileInfo(vm2.SerialLog).Length);
        Assert.InRange(LabFolderQuota.UsedBytes(_store.FolderOf(Lab)), 0, 3 * MiB);
    }
}

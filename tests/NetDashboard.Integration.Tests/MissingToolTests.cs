using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A host without one of the tools: `lab up` (the CLI, and the service in this process) is refused before any command,
/// with the package to install, and leaves nothing behind; a VM is neither started nor stopped without QEMU.
/// </summary>
[Collection(ProcessPathCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed class MissingToolTests : IAsyncLifetime
{
    private readonly string _runtimeRoot = Directory.CreateTempSubdirectory("netdash-notool-").FullName;
    private readonly string _files = Directory.CreateTempSubdirectory("netdash-notool-files-").FullName;
    private readonly List<string> _labs = [];

    /// <summary>Each tool a lab with a VM needs, and the Debian package that brings it.</summary>
    public static TheoryData<string, string> Tools => new()
    {
        { "ip", "iproute2" },
        { "bridge", "iproute2" },
        { "iptables", "iptables" },
        { "sysctl", "procps" },
        { "busybox", "busybox-static" },
        { "kill", "procps" },
        { "qemu-system-x86_64", "qemu-system-x86" },
    };

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task LabUp_ToolNotOnPath_ExitsTwoNamingItsPackageAndLeavesNothing(string tool, string package)
    {
        var lab = NewLabName();
        using var shelf = new ToolShelf(tool);

        var up = await CliAsync(shelf, "lab", "up", await OneVmFileAsync(lab));

        Assert.True(up.ExitCode == 2, $"exit {up.ExitCode}: {up.StandardError}{up.StandardOutput}");
        Assert.Contains(NotInstalled(tool, package), up.StandardError);
        Assert.DoesNotContain("   at ", up.StandardError);
        Assert.Empty(await LabLeftovers.OfAsync(lab, _runtimeRoot));
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task CreateLab_ToolNotOnPath_RefusedNamingItsPackageAndLeavesNothing(string tool, string package)
    {
        await using var lab = new TestLab("nt", _runtimeRoot);
        using var shelf = new ToolShelf(tool);

        LabCreation creation;
        using (shelf.AsProcessPath())
            creation = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name)));

        Assert.Equal(ActionOutcome.Refused, creation.Result.Outcome);
        Assert.Contains(creation.Result.Problems, p => p.Field == "host" && p.Message.Contains(NotInstalled(tool, package), StringComparison.Ordinal));
        Assert.Empty(await LabLeftovers.OfAsync(lab.Name, _runtimeRoot));
    }

    /// <summary>A restart that could not start QEMU again must not stop the VM first; a start runs nothing.</summary>
    [Fact]
    public async Task VmRestartAndStart_QemuNotOnPath_ExitTwoAndLeaveTheVmAsItWas()
    {
        var lab = NewLabName();
        using var everything = new ToolShelf();
        using var noQemu = new ToolShelf("qemu-system-x86_64");
        var store = new LabRuntimeStore(_runtimeRoot);
        var up = await CliAsync(everything, "lab", "up", await OneVmFileAsync(lab));
        Assert.True(up.ExitCode == 0, up.StandardError);
        var pid = store.Read(lab)!.Vms["vm1"].Pid;

        var restart = await CliAsync(noQemu, "vm", "restart", lab, "vm1");
        var runsAfterRestart = ProcessTable.IsRunningAs(pid, "qemu-system-x86_64");
        var stop = await CliAsync(everything, "vm", "stop", lab, "vm1");
        var journalBeforeStart = store.JournalOf(lab).ReadAll().Count;
        var start = await CliAsync(noQemu, "vm", "start", lab, "vm1");

        Assert.True(restart.ExitCode == 2, $"exit {restart.ExitCode}: {restart.StandardError}");
        Assert.Contains(NotInstalled("qemu-system-x86_64", "qemu-system-x86"), restart.StandardError);
        Assert.True(runsAfterRestart, "the refused restart stopped the VM");
        Assert.Equal(0, stop.ExitCode);
        Assert.True(start.ExitCode == 2, $"exit {start.ExitCode}: {start.StandardError}");
        Assert.Contains(NotInstalled("qemu-system-x86_64", "qemu-system-x86"), start.StandardError);
        Assert.Equal(journalBeforeStart, store.JournalOf(lab).ReadAll().Count);
        Assert.DoesNotContain(await LabLeftovers.OfAsync(lab, _runtimeRoot), left => left.Contains("qemu-system-x86_64", StringComparison.Ordinal));
        Assert.True(store.Read(lab)!.Vms["vm1"].StoppedOnPurpose);
    }

    private static string NotInstalled(string tool, string package) =>
        $"{tool} is not installed (or not on PATH): install it with `apt-get install {package}`";

    private string NewLabName()
    {
        var name = $"nt-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private async Task<string> OneVmFileAsync(string lab)
    {
        var file = Path.Combine(_files, $"{lab}.yaml");
        await File.WriteAllTextAsync(file, TestLab.OneVmYaml(lab));
        return file;
    }

    private Task<BufferedCommandResult> CliAsync(ToolShelf tools, params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string>
        {
            ["PATH"] = tools.Folder,
            ["NetDashboard__RuntimeRoot"] = _runtimeRoot,
            ["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder,
        }, args);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // With every tool on PATH again (this process's own).
        await LabLeftovers.RemoveAsync(_runtimeRoot, _labs);
        Directory.Delete(_runtimeRoot, recursive: true);
        Directory.Delete(_files, recursive: true);
    }
}

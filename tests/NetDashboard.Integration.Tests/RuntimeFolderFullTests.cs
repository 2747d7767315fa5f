using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Text.Json;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The runtime folder's file system fills up while a lab comes up (a 256 KiB tmpfs, filled but for a few KiB): the
/// error names the folder and the lack of space, no record or journal line is left half written, and the lab can be
/// removed while the disk is still full, since a teardown writes nothing new.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class RuntimeFolderFullTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private SmallTmpfs _tmpfs = null!;
    private readonly List<string> _labs = [];

    private string RuntimeRoot => _tmpfs.Folder;

    /// <summary>
    /// KiB left free, each failing at another write of nat-pc (a tmpfs file takes whole 4 KiB pages): 0 the first
    /// record, 8 the web root, 16 the journal after some commands ran, 24 the record once the internet server runs.
    /// </summary>
    public static TheoryData<int> FreeKib => [0, 8, 16, 24];

    [Theory]
    [MemberData(nameof(FreeKib))]
    public async Task LabUp_RuntimeFolderFillsUp_SaysNoSpaceLeavesNoHalfRecordAndDownNeedsNoSpace(int freeKib)
    {
        var lab = NewLabName();
        _tmpfs.FillLeaving(freeKib);

        var up = await CliAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);
        var written = WrittenFiles(lab);
        var freeBeforeDown = _tmpfs.FreeBytes;
        var down = await CliAsync("lab", "down", lab);

        Assert.True(up.ExitCode == 1, $"exit {up.ExitCode}: {up.StandardError}");
        Assert.Contains($"the runtime folder {RuntimeRoot}/{lab}/", up.StandardError);
        Assert.Contains("No space left on device", up.StandardError);
        Assert.Contains("Free space there", up.StandardError);
        Assert.DoesNotContain("   at ", up.StandardError);
        AssertWhole(lab, written);
        Assert.True(freeBeforeDown < 4096, $"{freeBeforeDown} bytes were free: down did not run on a full file system");
        Assert.True(down.ExitCode == 0, $"exit {down.ExitCode}: {down.StandardError}");
        Assert.Empty(await LabLeftovers.OfAsync(lab, RuntimeRoot));
    }

    [Fact]
    public async Task LabDown_RuntimeFolderReadOnly_SaysReadOnlyNotBusyAndDownWorksOnceWritable()
    {
        var lab = NewLabName();
        var up = await CliAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);
        Assert.True(up.ExitCode == 0, up.StandardError);

        BufferedCommandResult refused;
        await _tmpfs.RemountAsync(readOnly: true);
        try
        {
            refused = await CliAsync("lab", "down", lab);
        }
        finally
        {
            await _tmpfs.RemountAsync(readOnly: false);
        }
        var down = await CliAsync("lab", "down", lab);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"the runtime folder {RuntimeRoot}/{lab}", refused.StandardError);
        Assert.Contains("Read-only file system", refused.StandardError);
        Assert.DoesNotContain("busy", refused.StandardError);
        Assert.True(down.ExitCode == 0, down.StandardError);
        Assert.Empty(await LabLeftovers.OfAsync(lab, RuntimeRoot));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public async Task CreateLab_RuntimeFolderFillsUp_FailsSayingNoSpaceAndTearDownNeedsNoSpace(int freeKib)
    {
        await using var lab = new TestLab("rf", RuntimeRoot);
        _tmpfs.FillLeaving(freeKib);

        var creation = await lab.Service.CreateLabAsync(new CreateLabRequest(File: "nat-pc.yaml", Name: lab.Name));
        var written = WrittenFiles(lab.Name);
        var freeBeforeDown = _tmpfs.FreeBytes;
        var teardown = await lab.Service.TearDownAsync(lab.Name);

        Assert.Equal(ActionOutcome.Failed, creation.Result.Outcome);
        Assert.Contains($"the runtime folder {RuntimeRoot}/{lab.Name}/", creation.Result.Message);
        Assert.Contains("No space left on device", creation.Result.Message);
        AssertWhole(lab.Name, written);
        Assert.True(freeBeforeDown < 4096, $"{freeBeforeDown} bytes were free: the teardown did not run on a full file system");
        Assert.True(teardown.Result.Succeeded, teardown.Result.Message);
        Assert.Empty(await LabLeftovers.OfAsync(lab.Name, RuntimeRoot));
    }

    /// <summary>A VM's stop writes its record and may journal a kill: in a teardown neither may need space.</summary>
    [Fact]
    [Trait("Requires", "qemu")]
    public async Task LabDown_VmLabWhenRuntimeFolderIsFull_RemovesQemuAndEverythingElse()
    {
        var lab = NewLabName();
        var file = Path.Combine(RuntimeRoot, $"{lab}.yaml");
        await File.WriteAllTextAsync(file, TestLab.OneVmYaml(lab));
        var up = await CliAsync("lab", "up", file);
        var qemu = new LabRuntimeStore(RuntimeRoot).Read(lab)?.Vms["vm1"].Pid;
        _tmpfs.FillLeaving(0);

        var freeBeforeDown = _tmpfs.FreeBytes;
        var down = await CliAsync("lab", "down", lab);

        Assert.True(up.ExitCode == 0, up.StandardError);
        Assert.True(freeBeforeDown < 4096, $"{freeBeforeDown} bytes were free: down did not run on a full file system");
        Assert.True(down.ExitCode == 0, $"exit {down.ExitCode}: {down.StandardError}");
        Assert.False(ProcessTable.IsRunning(qemu!.Value), $"QEMU {qemu} outlived lab down");
        Assert.Empty(await LabLeftovers.OfAsync(lab, RuntimeRoot));
    }

    // The record and the journal as the failed apply left them, read before the teardown removes them.
    private (string? Record, string? Journal) WrittenFiles(string lab)
    {
        string? Text(string file) => File.Exists(Path.Combine(RuntimeRoot, lab, file)) ? File.ReadAllText(Path.Combine(RuntimeRoot, lab, file)) : null;
        return (Text("lab.json"), Text("journal.jsonl"));
    }

    // lab.json absent or whole; every journal line whole (a line cut by the full disk would hide the next one).
    private static void AssertWhole(string lab, (string? Record, string? Journal) written)
    {
        if (written.Record is { } record)
            Assert.Equal(lab, JsonSerializer.Deserialize<LabRecord>(record, Json)!.Name);
        foreach (var line in (written.Journal ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.NotNull(JsonSerializer.Deserialize<JournalEntry>(line, Json));
        Assert.True(written.Journal is null || written.Journal.Length == 0 || written.Journal.EndsWith('\n'), "the journal ends in half a line");
    }

    private string NewLabName()
    {
        var name = $"rf-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private Task<BufferedCommandResult> CliAsync(params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string>
        {
            ["NetDashboard__RuntimeRoot"] = RuntimeRoot,
            ["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder,
        }, args);

    public async Task InitializeAsync() => _tmpfs = await SmallTmpfs.MountAsync(256);

    public async Task DisposeAsync()
    {
        try
        {
            _tmpfs.Free();
            await LabLeftovers.RemoveAsync(RuntimeRoot, _labs);
        }
        finally
        {
            await _tmpfs.DisposeAsync();
        }
    }
}

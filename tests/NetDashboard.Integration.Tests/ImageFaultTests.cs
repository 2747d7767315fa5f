using NetDashboard.Lab.Model;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>A VM whose image cannot boot: `lab up` is refused before any command with what to fix, and leaves nothing behind.</summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ImageFaultTests : IAsyncLifetime
{
    /// <summary>Root without the capabilities that let it read any file: as on a network share that squashes root.</summary>
    private static readonly string[] WithoutReadOverride =
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", "--"];

    private readonly string _runtimeRoot = Directory.CreateTempSubdirectory("netdash-img-").FullName;
    private readonly string _files = Directory.CreateTempSubdirectory("netdash-img-files-").FullName;
    private readonly List<string> _labs = [];

    [Fact]
    public async Task LabUp_BuiltinGuestImageMissing_ExitsTwoSayingHowToBuildItAndLeavesNothing()
    {
        var lab = NewLabName();
        var empty = Directory.CreateDirectory(Path.Combine(_files, "no-guest")).FullName;

        var up = await CliAsync([], new() { ["NetDashboard__GuestImageFolder"] = empty }, "lab", "up", await OneVmFileAsync(lab));

        Assert.True(up.ExitCode == 2, $"exit {up.ExitCode}: {up.StandardError}");
        Assert.Contains($"vms[0].image: the built-in guest image is missing from {empty}; build it with `scripts/build-guest-image.sh`", up.StandardError);
        Assert.Empty(await LabLeftovers.OfAsync(lab, _runtimeRoot));
    }

    [Fact]
    public async Task CreateLab_BuiltinGuestImageMissing_RefusedSayingHowToBuildItAndLeavesNothing()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_files, "no-guest")).FullName;
        await using var lab = new TestLab("gi", _runtimeRoot, new GuestImage(empty));

        var creation = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name)));

        Assert.Equal(ActionOutcome.Refused, creation.Result.Outcome);
        Assert.Contains(creation.Result.Problems, p => p.Field == "vms[0].image"
            && p.Message.Contains($"missing from {empty}; build it with `scripts/build-guest-image.sh`", StringComparison.Ordinal));
        Assert.Empty(await LabLeftovers.OfAsync(lab.Name, _runtimeRoot));
    }

    /// <summary>
    /// Root reads any file, so the CLI runs without CAP_DAC_OVERRIDE: a file of mode 000 is then unreadable, as root's
    /// files are on a share that squashes root. (The in-process service runs with every capability, so only the CLI can show it.)
    /// </summary>
    [Fact]
    public async Task LabUp_DiskImageUnreadable_ExitsTwoSayingHowToMakeItReadableAndLeavesNothing()
    {
        var lab = NewLabName();
        var images = Directory.CreateDirectory(Path.Combine(_files, "images")).FullName;
        var image = Path.Combine(images, "locked.qcow2");
        await Cli.Wrap("qemu-img").WithArguments(["create", "-q", "-f", "qcow2", image, "16M"]).ExecuteAsync();
        File.SetUnixFileMode(image, UnixFileMode.None);
        var settings = new Dictionary<string, string> { ["NetDashboard__ImageFolders__0"] = images };

        var unreadable = await Cli.Wrap(WithoutReadOverride[0]).WithArguments([.. WithoutReadOverride[1..], "head", "-c", "1", image])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        var up = await CliAsync(WithoutReadOverride, settings, "lab", "up", await OneVmFileAsync(lab, "locked.qcow2"));

        Assert.True(unreadable.ExitCode != 0, "the image was readable without CAP_DAC_OVERRIDE: the test proves nothing");
        Assert.True(up.ExitCode == 2, $"exit {up.ExitCode}: {up.StandardError}");
        Assert.Contains($"vms[0].image: locked.qcow2 cannot be read: permission denied; make it readable (chmod a+r {image})", up.StandardError);
        Assert.Empty(await LabLeftovers.OfAsync(lab, _runtimeRoot));
    }

    private string NewLabName()
    {
        var name = $"if-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private async Task<string> OneVmFileAsync(string lab, string? image = null)
    {
        var file = Path.Combine(_files, $"{lab}.yaml");
        await File.WriteAllTextAsync(file, TestLab.OneVmYaml(lab, image));
        return file;
    }

    private Task<BufferedCommandResult> CliAsync(string[] launcher, Dictionary<string, string> settings, params string[] args)
    {
        settings.TryAdd("NetDashboard__RuntimeRoot", _runtimeRoot);
        settings.TryAdd("NetDashboard__GuestImageFolder", TestLab.GuestImageUnderTest.Folder);
        return DashboardCli.RunUnderAsync(launcher, settings, args);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await LabLeftovers.RemoveAsync(_runtimeRoot, _labs);
        Directory.Delete(_runtimeRoot, recursive: true);
        Directory.Delete(_files, recursive: true);
    }
}

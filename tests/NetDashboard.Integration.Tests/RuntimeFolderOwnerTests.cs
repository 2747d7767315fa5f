using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Issue 17, finding 6: a runtime folder another user owns (the README's /tmp/nd made by that user) let a planted link
/// send root's lab files anywhere. Now the dashboard and the CLI refuse such a folder with a sentence, and a link in a
/// lab's place is refused, not followed. The real CLI and dashboard; folders under a fresh temporary folder.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class RuntimeFolderOwnerTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("netdash-owner-").FullName;
    private readonly string _lab = $"secsym-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task LabUp_RuntimeRootOwnedByNobodyWithALinkPlanted_RefusedNamingTheOwnerAndTheTargetUntouched()
    {
        var (root, target) = await PlantAsync(foreignRoot: true);

        var up = await DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = root },
            "lab", "up", TestLab.LabFile("nat-pc.yaml"), "--name", _lab);

        Assert.Equal(2, up.ExitCode);
        Assert.Contains($"error: the runtime folder {root} is not used: {root} belongs to nobody (uid 65534), not to root (uid 0), who runs NetDashboard", up.StandardError);
        AssertUntouched(target);
        Assert.DoesNotContain(new Lab.Model.LabNamespaces(_lab).Host, await TestLab.RootNamespacesAsync());
    }

    [Fact]
    public async Task Dashboard_RuntimeRootOwnedByNobody_DoesNotStartAndSaysWhy()
    {
        var (root, target) = await PlantAsync(foreignRoot: true);
        var state = Directory.CreateDirectory(Path.Combine(_base, "state")).FullName;

        var dashboard = await AppProcess.RunToRefusalAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = root, ["NetDashboard__StateFolder"] = state });

        Assert.Equal(2, dashboard.ExitCode);
        Assert.Contains($"error: the runtime folder {root} is not used: {root} belongs to nobody (uid 65534)", dashboard.StandardError);
        Assert.False(File.Exists(Path.Combine(root, ".dashboard.lock")));
        AssertUntouched(target);
    }

    [Fact]
    public async Task LabUp_ALinkInTheLabsPlaceUnderRootsOwnFolder_RefusedAsALinkAndTheTargetUntouched()
    {
        var (root, target) = await PlantAsync(foreignRoot: false);

        var up = await DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = root },
            "lab", "up", TestLab.LabFile("nat-pc.yaml"), "--name", _lab);

        Assert.True(up.ExitCode == 1, up.StandardError);
        Assert.Equal($"error: the runtime folder {root}/{_lab} is not used: {root}/{_lab} is a symbolic link; a runtime folder must be a real folder (a link could point the lab's files anywhere)\n", up.StandardError);
        AssertUntouched(target);
        Assert.DoesNotContain(new Lab.Model.LabNamespaces(_lab).Host, await TestLab.RootNamespacesAsync());
    }

    // A runtime root (nobody's, or root's own 0700) holding a link named like the lab to a folder of 0755 with one file.
    private async Task<(string Root, string Target)> PlantAsync(bool foreignRoot)
    {
        var root = Directory.CreateDirectory(Path.Combine(_base, "nd")).FullName;
        var target = Directory.CreateDirectory(Path.Combine(_base, "target")).FullName;
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(Path.Combine(target, "keep"), "keep\n");
        File.CreateSymbolicLink(Path.Combine(root, _lab), target);
        if (foreignRoot)
        {
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
            var chown = await Cli.Wrap("chown").WithArguments(["-h", "65534", root, Path.Combine(root, _lab)]).ExecuteBufferedAsync();
            Assert.Equal(0, chown.ExitCode);
        }
        return (root, target);
    }

    private static void AssertUntouched(string target)
    {
        Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal((UnixFileMode)0b111_101_101, UnixFile.StatusOf(target)!.Value.Mode);
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);
}

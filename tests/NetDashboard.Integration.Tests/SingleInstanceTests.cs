using System.Net;

namespace NetDashboard.Integration.Tests;

/// <summary>One dashboard per runtime folder; the CLI keeps working beside it.</summary>
[Trait("Category", "Integration")]
public sealed class SingleInstanceTests
{
    [Fact]
    public async Task SecondDashboard_OnTheSameRuntimeFolder_RefusedNamingTheFirstsPid()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-one-").FullName;
        var state = Directory.CreateTempSubdirectory("netdash-one-state-").FullName;
        try
        {
            await using var first = await AppProcess.StartAsync(runtime);

            var second = await AppProcess.RunToRefusalAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = runtime, ["NetDashboard__StateFolder"] = state });
            var cli = await DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = runtime }, "lab", "ls");
            using var http = first.CreateClient();

            Assert.Equal(1, second.ExitCode);
            Assert.Contains($"another NetDashboard (pid {first.Pid}) already runs on the runtime folder {runtime}", second.StandardError);
            Assert.Equal(0, cli.ExitCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/labs")).StatusCode);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
            Directory.Delete(runtime, recursive: true);
        }
    }

    [Fact]
    public async Task LockFile_LeftWorldReadableBefore_IsRootsAloneOnceTheDashboardRuns()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-lock-").FullName;
        try
        {
            var lockPath = Path.Combine(runtime, ".dashboard.lock");
            await File.WriteAllTextAsync(lockPath, "");
            File.SetUnixFileMode(lockPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            await using var app = await AppProcess.StartAsync(runtime);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(lockPath));
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }
}

using System.Net;
using CliWrap;
using CliWrap.Buffered;

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
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            var second = await Cli.Wrap("dotnet")
                .WithArguments([Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"), "--urls", "http://127.0.0.1:0"])
                .WithWorkingDirectory(TestLab.RepositoryRoot)
                .WithEnvironmentVariables(env => env.Set("NetDashboard__RuntimeRoot", runtime).Set("NetDashboard__StateFolder", state))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(stop.Token);
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

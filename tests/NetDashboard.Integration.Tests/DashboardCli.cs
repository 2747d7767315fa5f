using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>The built dashboard's CLI as a person runs it: its own process, from the repository root, with settings as environment variables.</summary>
public static class DashboardCli
{
    /// <param name="settings">Configuration overrides, e.g. NetDashboard__RuntimeRoot.</param>
    public static Task<BufferedCommandResult> RunAsync(IReadOnlyDictionary<string, string> settings, params string[] args) =>
        RunAsync(settings, CancellationToken.None, args);

    /// <param name="cancellationToken">Kills the CLI when cancelled.</param>
    public static Task<BufferedCommandResult> RunAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken, params string[] args) =>
        Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"), .. args])
            .WithWorkingDirectory(TestLab.RepositoryRoot)
            .WithEnvironmentVariables(env =>
            {
                foreach (var (key, value) in settings) env.Set(key, value);
            })
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
}

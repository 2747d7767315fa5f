using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>The built dashboard's CLI as a person runs it: its own process, from the repository root, with settings as environment variables.</summary>
public static class DashboardCli
{
    /// <param name="settings">Configuration overrides, e.g. NetDashboard__RuntimeRoot (and PATH, which is an environment variable too).</param>
    public static Task<BufferedCommandResult> RunAsync(IReadOnlyDictionary<string, string> settings, params string[] args) =>
        RunUnderAsync([], settings, CancellationToken.None, args);

    /// <param name="cancellationToken">Kills the CLI when cancelled.</param>
    public static Task<BufferedCommandResult> RunAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken, params string[] args) =>
        RunUnderAsync([], settings, cancellationToken, args);

    /// <param name="launcher">A program the CLI runs under, with its options, e.g. setpriv … --.</param>
    /// <param name="settings">Configuration overrides, as for <see cref="RunAsync(IReadOnlyDictionary{string, string}, string[])"/>.</param>
    public static Task<BufferedCommandResult> RunUnderAsync(IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string> settings, params string[] args) =>
        RunUnderAsync(launcher, settings, CancellationToken.None, args);

    private static Task<BufferedCommandResult> RunUnderAsync(IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string> settings,
        CancellationToken cancellationToken, string[] args)
    {
        string[] argv = [.. launcher, "dotnet", Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"), .. args];
        return Cli.Wrap(argv[0])
            .WithArguments(argv[1..])
            .WithWorkingDirectory(TestLab.RepositoryRoot)
            .WithEnvironmentVariables(env =>
            {
                foreach (var (key, value) in settings) env.Set(key, value);
            })
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
    }
}

using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The CLI as a person runs it: the native build ./netdash starts (scripts/publish-cli.sh, which setup.sh runs before
/// the tests), its own process, from the repository root, with settings as environment variables.
/// </summary>
public static class DashboardCli
{
    /// <summary>The published CLI; a test fails with this sentence when it was not published.</summary>
    public static string Program
    {
        get
        {
            var path = Path.Combine(TestLab.RepositoryRoot, "artifacts", "cli", "netdash");
            return File.Exists(path) ? path : throw new FileNotFoundException($"no CLI build at {path}: run scripts/publish-cli.sh (setup.sh does) before the tests");
        }
    }

    /// <summary>The settings of a CLI that works on <paramref name="runtimeRoot"/> and boots the built-in guest setup.sh built.</summary>
    public static Dictionary<string, string> SettingsFor(string runtimeRoot) => new()
    {
        ["NetDashboard__RuntimeRoot"] = runtimeRoot,
        ["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder,
    };

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
        string[] argv = [.. launcher, Program, .. args];
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

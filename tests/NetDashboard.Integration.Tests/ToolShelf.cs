namespace NetDashboard.Integration.Tests;

/// <summary>
/// A folder of links to every program a lab's life needs, less those a test takes away: as PATH, it is a host where
/// those are not installed. The list is written here, not taken from the app, so a tool the app forgot to check fails a test.
/// </summary>
public sealed class ToolShelf : IDisposable
{
    /// <summary>What `lab up`, `vm start` and `lab down` run, each by name through PATH.</summary>
    public static readonly IReadOnlyList<string> Needed = ["ip", "bridge", "iptables", "sysctl", "busybox", "qemu-system-x86_64", "kill"];

    public ToolShelf(params string[] without)
    {
        Folder = Directory.CreateTempSubdirectory("netdash-tools-").FullName;
        // dotnet runs the CLI; a tool a test takes away must be one of the app's, or the test proves nothing.
        Assert.All(without, tool => Assert.Contains(tool, Needed));
        foreach (var tool in Needed.Except(without).Append("dotnet"))
            File.CreateSymbolicLink(Path.Combine(Folder, tool), Which(tool));
    }

    /// <summary>The folder to set as PATH.</summary>
    public string Folder { get; }

    /// <summary>
    /// Sets this shelf as the test process's own PATH until disposed, for the in-process service. Only tests of
    /// <see cref="ProcessPathCollection"/> may: no other test runs meanwhile.
    /// </summary>
    public IDisposable AsProcessPath()
    {
        var saved = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", Folder);
        return new Restore(() => Environment.SetEnvironmentVariable("PATH", saved));
    }

    private static string Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{program} is not installed here: the fault tests need every tool present to take one away");

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}

/// <summary>Tests that change the test process's PATH run alone: every other test resolves its programs through it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessPathCollection
{
    public const string Name = "process PATH";
}

/// <summary>
/// Tests that promise a time run alone, after the others: early in the run, beside QEMU guests booting under TCG
/// and the hostile-input rows, two cores left a CLI change 1,003 ms from its subscriber; the figure measured the
/// neighbours, not the event path (alone: 20–130 ms).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}

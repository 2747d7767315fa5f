namespace NetDashboard.Lab.Tests;

/// <summary>Where the tests find the kernel fixtures and the shipped lab files.</summary>
internal static class TestFiles
{
    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>The repository root: the first folder above the test binaries that holds NetDashboard.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string LabsFolder => Path.Combine(RepoRoot, "labs");

    public static string Lab(string fileName) => Path.Combine(LabsFolder, fileName);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetDashboard.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no NetDashboard.sln above {AppContext.BaseDirectory}");
    }
}

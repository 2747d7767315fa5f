using System.Text.RegularExpressions;
using NetDashboard.Configuration;

namespace NetDashboard.Component.Tests.Architecture;

/// <summary>Rules a maintainer reads the code by: one place that wires the lab services, a thin door, files a person can read.</summary>
public sealed partial class HouseRulesTests
{
    private static readonly string Root = RepositoryLayout.FindRoot();

    private static IEnumerable<string> SourceFiles(params string[] folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories))
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".razor", StringComparison.Ordinal))
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal));

    [GeneratedRegex(@"new (LabService|LabEngine|LabEvents|LabActions|LabReads|VmActions|CaptureActions|TraceService|ActionRunner|LabAdoption)\(")]
    private static partial Regex BuildsALabService();

    [Fact]
    public void OnlyTheCompositionRoot_BuildsTheLabServices_NotTheWebAppTheCliOrAnyTest()
    {
        var elsewhere = SourceFiles("src", "tests")
            .Where(path => !path.EndsWith("Services/LabComposition.cs", StringComparison.Ordinal))
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(l => BuildsALabService().IsMatch(l.line))
            .Select(l => $"{Path.GetRelativePath(Root, l.path)}:{l.index + 1}: {l.line.Trim()}")
            .ToList();

        Assert.True(elsewhere.Count == 0, $"the lab services are wired outside LabComposition:\n{string.Join("\n", elsewhere)}");
    }

    [Fact]
    public void TheDoor_LabService_IsAtMost200Lines()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "src/NetDashboard.Lab/Services/LabService.cs")).Length;

        Assert.True(lines <= 200, $"LabService.cs has {lines} lines");
    }

    [Fact]
    public void NoSourceFile_IsOver400Lines_ExceptGeneratedOnes()
    {
        var long_ = SourceFiles("src")
            .Where(path => !path.EndsWith(".g.cs", StringComparison.Ordinal))
            .Select(path => (path, lines: File.ReadAllLines(path).Length))
            .Where(f => f.lines > 400)
            .Select(f => $"{Path.GetRelativePath(Root, f.path)}: {f.lines}")
            .ToList();

        Assert.True(long_.Count == 0, $"files over 400 lines:\n{string.Join("\n", long_)}");
    }
}

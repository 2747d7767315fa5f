using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

/// <summary>What of a lab is still there: its namespaces, its processes, its runtime folder. Empty means nothing was left behind.</summary>
public static class LabLeftovers
{
    public static async Task<IReadOnlyList<string>> OfAsync(string lab, string runtimeRoot)
    {
        var folder = Path.Combine(runtimeRoot, lab);
        var left = new List<string>();
        left.AddRange((await TestLab.RootNamespacesAsync()).Intersect(new LabNamespaces(lab).All).Select(ns => $"namespace {ns}"));
        // The lab's processes name it: QEMU its sockets in the lab's folder, the internet server its web root there.
        left.AddRange(CommandLines()
            .Where(p => p.CommandLine.Contains(folder + "/", StringComparison.Ordinal) || p.CommandLine.Contains($"netdash-{lab}-", StringComparison.Ordinal))
            .Select(p => $"process {p.Pid}: {p.CommandLine}"));
        if (Directory.Exists(folder))
            left.Add($"runtime folder {folder}: {string.Join(", ", Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName))}");
        return left;
    }

    /// <summary>Removes whatever a failed test left of these labs, by their exact names, with or without a record.</summary>
    public static async Task RemoveAsync(string runtimeRoot, IEnumerable<string> labs)
    {
        await using var cleanup = new TestLab("cleanup", runtimeRoot);
        foreach (var lab in labs)
            await cleanup.Engine.DownAsync(lab, foreign: true);
    }

    private static IEnumerable<(int Pid, string CommandLine)> CommandLines()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // it exited meanwhile
            }
            if (commandLine.Length > 0) yield return (pid, commandLine);
        }
    }
}

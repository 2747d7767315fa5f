using NetDashboard.Lab.Runtime;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Tests.Shared;

/// <summary>
/// What running anything for a lab would change, taken before and after a refused value to prove that nothing ran:
/// the lab's journal, the machine's network namespaces, the processes in the lab's namespaces and every file (with
/// its size and time) in the runtime folder.
/// </summary>
public sealed partial record LabFootprint(
    string Lab,
    string JournalHash,
    IReadOnlySet<string> Namespaces,
    IReadOnlyDictionary<string, string> ProcessesByNamespace,
    IReadOnlyDictionary<string, string> RuntimeFiles)
{
    public static async Task<LabFootprint> TakeAsync(string lab, string runtimeRoot)
    {
        var journal = new LabRuntimeStore(runtimeRoot).JournalOf(lab).Path;
        var processes = new Dictionary<string, string>();
        foreach (var ns in new LabNamespaces(lab).All)
        {
            var pids = await Cli.Wrap("ip").WithArguments(["netns", "pids", ns]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            processes[ns] = string.Join(' ', pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        }
        return new LabFootprint(
            lab,
            File.Exists(journal) ? Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(journal))) : "(no journal)",
            (await new TopologyReader(new HostRunner()).ListNamespacesAsync()).ToHashSet(),
            processes,
            new DirectoryInfo(runtimeRoot).EnumerateFileSystemInfos("*", SearchOption.AllDirectories).ToDictionary(
                entry => Path.GetRelativePath(runtimeRoot, entry.FullName),
                entry => entry is FileInfo file ? $"{file.Length} bytes, written {file.LastWriteTimeUtc:O}" : "folder"));
    }

    /// <summary>
    /// Each way <paramref name="after"/> differs from this footprint, as a sentence; empty when nothing ran.
    /// <paramref name="value"/> is the hostile value sent and <paramref name="ownLabs"/> the labs the test names.
    /// </summary>
    public IReadOnlyList<string> ChangesTo(LabFootprint after, string value, params string[] ownLabs)
    {
        var changes = new List<string>();
        if (after.JournalHash != JournalHash)
            changes.Add($"the journal of {Lab} changed");
        foreach (var ns in Namespaces.Except(after.Namespaces).Where(ns => new LabNamespaces(Lab).All.Contains(ns)))
            changes.Add($"namespace {ns} was removed");
        foreach (var ns in after.Namespaces.Except(Namespaces).Where(ns => !IsAnotherLabs(ns, value, [Lab, .. ownLabs])))
            changes.Add($"namespace {Printable.Quote(ns)} appeared");
        foreach (var (ns, pids) in ProcessesByNamespace.Where(p => after.ProcessesByNamespace[p.Key] != p.Value))
            changes.Add($"the processes in {ns} changed from [{pids}] to [{after.ProcessesByNamespace[ns]}]");
        foreach (var (path, state) in after.RuntimeFiles.Where(f => RuntimeFiles.GetValueOrDefault(f.Key) != f.Value))
            changes.Add(RuntimeFiles.ContainsKey(path) ? $"{path} in the runtime folder changed" : $"{Printable.Quote(path)} appeared in the runtime folder");
        foreach (var path in RuntimeFiles.Keys.Except(after.RuntimeFiles.Keys))
            changes.Add($"{path} left the runtime folder");
        return changes;
    }

    // Other test runs share this machine and make labs of their own: a new namespace is blamed on the value unless it
    // is a well-formed lab namespace of a lab that is neither the test's nor named after the value.
    private static bool IsAnotherLabs(string ns, string value, IReadOnlyCollection<string> ownLabs) =>
        LabNamespace().Match(ns) is { Success: true } match
        && !ownLabs.Contains(match.Groups[1].Value)
        && !value.Contains(match.Groups[1].Value, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^netdash-([a-z0-9][a-z0-9-]{0,19})-(host|wan|pc)\z")]
    private static partial Regex LabNamespace();
}

using System.Text.Json;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Engine;

/// <summary>One command the app ran for a lab, exactly as run, beside what the tutorial would have typed.</summary>
public sealed record JournalEntry
{
    public required DateTimeOffset Time { get; init; }
    /// <summary>Who the tutorial says runs it: host, wan, pc or a VM's name.</summary>
    public required string Who { get; init; }
    public required string Namespace { get; init; }
    public required IReadOnlyList<string> Argv { get; init; }
    public required string Tutorial { get; init; }
    public required int ExitCode { get; init; }
    public string StandardError { get; init; } = "";
    public double DurationMs { get; init; }
    public bool Replayable { get; init; } = true;

    /// <summary>True when <see cref="Tutorial"/> is a remark ("# …") rather than something typed at a prompt.</summary>
    public bool Remark { get; init; }

    /// <summary>A guest command printed more than the 1 MiB of output that is kept.</summary>
    public bool OutputTruncated { get; init; }

    public bool Succeeded => ExitCode == 0;

    /// <summary>The argv as one bash line.</summary>
    public string CommandLine => string.Join(' ', Argv.Select(HostCommand.ShellQuote));

    /// <summary>The tutorial form with its prompt, e.g. "(host)$ brctl addbr br0"; a remark has none.</summary>
    public string TutorialLine => Remark ? Tutorial : $"({Who})$ {Tutorial}";
}

/// <summary>
/// A lab's journal: JSON lines in the lab's runtime folder, appended as commands run,
/// so the CLI, the API and the dashboard read the same history.
/// </summary>
public sealed class Journal(string path)
{
    private readonly Lock _gate = new();

    public event Action<JournalEntry>? Appended;

    public string Path { get; } = path;

    public void Append(JournalEntry entry)
    {
        lock (_gate)
        {
            RuntimeFile.CreateFolder(System.IO.Path.GetDirectoryName(Path)!);
            RuntimeFile.Write(Path, JsonSerializer.Serialize(entry, RuntimeJson.Default.JournalEntry) + "\n", append: true);
        }
        Appended?.Invoke(entry);
    }

    public IReadOnlyList<JournalEntry> ReadAll()
    {
        lock (_gate)
        {
            if (!File.Exists(Path)) return [];
            return File.ReadLines(Path)
                .Where(line => line.Length > 0)
                .Select(Parse)
                .OfType<JournalEntry>()
                .ToList();
        }
    }

    // A line cut short (the file system filled up mid-write) is skipped, not a reason to lose the rest.
    private static JournalEntry? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, RuntimeJson.Default.JournalEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

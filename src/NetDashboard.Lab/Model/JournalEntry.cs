using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NetDashboard.Lab.Model;

/// <summary>One command the app ran for a lab, exactly as run, beside what the tutorial would have typed.</summary>
public sealed record JournalEntry
{
    /// <summary>The lab folder's subfolder of outputs longer than an entry keeps.</summary>
    /// <summary>An entry run over a guest's command agent: Argv is ["guest-agent", VM, COMMAND].</summary>
    public const string GuestAgent = "guest-agent";

    /// <summary>An entry sent to a QEMU's monitor: Argv is ["qmp", VM, COMMAND].</summary>
    public const string Qmp = "qmp";

    public const string OutputsFolder = "outputs";

    /// <summary>At most <paramref name="chars"/>, never half of a surrogate pair.</summary>
    internal static int WholeChars(string text, int chars) => chars > 0 && chars < text.Length && char.IsHighSurrogate(text[chars - 1]) ? chars - 1 : chars;

    public required DateTimeOffset Time { get; init; }
    /// <summary>Who the tutorial says runs it: host, wan, pc or a VM's name.</summary>
    public required string Who { get; init; }
    public required string Namespace { get; init; }
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>
    /// What a person would type. A guest command's is the command itself, held once, in <see cref="Argv"/>
    /// ([guest-agent, VM, COMMAND]): the journal stores it there only (older lines that hold it twice read the same).
    /// </summary>
    public string Tutorial
    {
        get => field ?? (Argv is [GuestAgent, _, var command] ? command : "");
        init;
    }

    public required int ExitCode { get; init; }

    /// <summary>What the command printed on failure (a guest's output); the journal keeps at most 64 KiB of it.</summary>
    public string StandardError { get; init; } = "";
    public double DurationMs { get; init; }
    public bool Replayable { get; init; } = true;

    /// <summary>True when <see cref="Tutorial"/> is a remark ("# …") rather than something typed at a prompt.</summary>
    public bool Remark { get; init; }

    /// <summary>A guest command printed more than the 1 MiB of output that is kept.</summary>
    public bool OutputTruncated { get; init; }

    /// <summary>
    /// When the output was longer than the journal keeps: its file in the lab's folder ("outputs/12.txt"), which holds
    /// the whole output up to 1 MiB; <see cref="StandardError"/> then holds its first 64 KiB.
    /// </summary>
    public string? OutputFile { get; init; }

    public bool Succeeded => ExitCode == 0;

    /// <summary>The argv as one bash line.</summary>
    public string CommandLine => string.Join(' ', Argv.Select(Printable.ShellQuote));

    /// <summary>The tutorial form with its prompt, e.g. "(host)$ brctl addbr br0"; a remark has none.</summary>
    public string TutorialLine => Remark ? Tutorial : $"({Who})$ {Tutorial}";

    /// <summary>The same entry with its output cut to <paramref name="maxChars"/> characters (and "…"), for a list that shows one line of it.</summary>
    public JournalEntry WithOutputCut(int maxChars) =>
        StandardError.Length <= maxChars ? this : this with { StandardError = string.Concat(StandardError.AsSpan(0, WholeChars(StandardError, maxChars)), "…") };

    internal bool TutorialIsCommand => Argv is [GuestAgent, _, var command] && Tutorial == command;
}

/// <summary>One page of a journal, newest entry first.</summary>
/// <param name="Total">The entries the journal holds.</param>
/// <param name="Skip">How many of the newest entries come before this page.</param>
public sealed record JournalPage(int Total, int Skip, IReadOnlyList<JournalEntry> Entries);

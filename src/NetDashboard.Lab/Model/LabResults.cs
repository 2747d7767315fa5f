using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>How an action ended; the API maps it to a status code, the CLI to an exit code, a page to a colour.</summary>
public enum ActionOutcome
{
    /// <summary>It ran and did what was asked.</summary>
    Done,
    /// <summary>Bad input: nothing ran; <see cref="ActionResult.Problems"/> names each field.</summary>
    Refused,
    /// <summary>The lab or VM named does not exist; nothing ran.</summary>
    NotFound,
    /// <summary>The name is taken by something else (a lab made from another file); nothing ran.</summary>
    Conflict,
    /// <summary>It ran and a command, QEMU or the guest failed; the message carries the tool's own words.</summary>
    Failed,
    /// <summary>A limit was reached (captures of a lab, traces or guest commands waiting): nothing ran; try again later.</summary>
    TooMany,
}

/// <summary>What an action did: a sentence for a person, the problems per field when refused, and any output.</summary>
public sealed record ActionResult(ActionOutcome Outcome, string Message, IReadOnlyList<LabFileProblem> Problems, string? Output = null)
{
    /// <summary>Refused when <paramref name="lab"/> is not a lab name, with the one wording every face shows; else null.</summary>
    public static ActionResult? ForBadLabName(string lab) =>
        InputRules.CheckLabName(lab) is { } problem ? Refused("lab", $"'{lab}' is not a lab name: {problem}") : null;

    public bool Succeeded => Outcome == ActionOutcome.Done;

    public static ActionResult Ok(string message, string? output = null) => new(ActionOutcome.Done, message, [], output);

    public static ActionResult Refused(IReadOnlyList<LabFileProblem> problems) =>
        new(ActionOutcome.Refused, string.Join("; ", problems.Select(p => p.ToString())), problems);

    public static ActionResult Refused(string field, string message) => Refused([new LabFileProblem(field, message)]);

    public static ActionResult NotFound(string message) => new(ActionOutcome.NotFound, message, []);

    public static ActionResult Failed(string message, string? output = null) => new(ActionOutcome.Failed, message, [], output);

    public static ActionResult NoSuchLab(string lab) => NotFound($"there is no lab named '{lab}'");

    public static ActionResult TooMany(string message) => new(ActionOutcome.TooMany, message, []);

    public static ActionResult Conflict(string field, string message) => new(ActionOutcome.Conflict, message, [new LabFileProblem(field, message)]);

    /// <summary>
    /// A failure of a lab change that had already run <paramref name="ran"/>: "refused" would claim nothing ran, so it
    /// becomes a failure that says exactly which steps ran and how to finish or undo them.
    /// </summary>
    public ActionResult AfterSteps(string lab, IReadOnlyList<JournalEntry> ran)
    {
        if (ran.Count == 0 || Outcome is ActionOutcome.Done) return this;
        var steps = string.Join("\n", ran.Select(entry => entry.TutorialLine));
        return new(ActionOutcome.Failed,
            $"{Message.TrimEnd('.')}. {ran.Count} command{(ran.Count == 1 ? "" : "s")} had run before this (listed below, and in the lab's journal): "
            + $"lab {lab} is partly built; apply it again once the cause is fixed, or remove it (`lab down {lab}`).",
            Problems, Output is null ? steps : $"{steps}\n{Output}");
    }
}

/// <summary>The verbs a VM takes.</summary>
public enum VmVerb { Start, Stop, Restart }

/// <summary>
/// A lab to create or complete: a shipped lab file (a bare name in the labs folder), a lab file's text, or
/// neither, for an empty lab (the world only) named <see cref="Name"/>.
/// </summary>
/// <param name="File">A file of the labs folder, e.g. "seed-nat.yaml" (a bare name: no '/', no "..").</param>
/// <param name="Yaml">The text of a lab file (instead of <paramref name="File"/>).</param>
/// <param name="Name">The lab's name; by default the name in the file.</param>
/// <param name="Wait">Return only when every VM is ready and configured.</param>
/// <param name="AsLesson">Bring up the lesson's starting point: VMs run, host and guests are left unconfigured.</param>
/// <param name="SourcePath">Where <paramref name="Yaml"/> was read from (the CLI's file), remembered in the lab's record.</param>
public sealed record CreateLabRequest(string? File = null, string? Yaml = null, string? Name = null, bool Wait = false, bool AsLesson = false,
    string? SourcePath = null);

/// <summary>What creating a lab did; <see cref="Applied"/> is set when it ran, <see cref="Existed"/> when the lab was there before.</summary>
public sealed record LabCreation(ActionResult Result, ApplyResult? Applied, bool Existed);

/// <summary>What tearing a lab down ran.</summary>
public sealed record LabTeardown(ActionResult Result, IReadOnlyList<JournalEntry> Ran);

/// <summary>A guest command's result: <see cref="Guest"/> is set when the command ran (whatever its exit code).</summary>
/// <param name="NotRun">Why the command did not run or finish (no <see cref="Guest"/> result then).</param>
public sealed record GuestCommandOutcome(ActionResult Result, GuestResult? Guest, string? NotRun = null);

/// <summary>A lab that exists: owned (it has a runtime record) or only namespaces left behind.</summary>
/// <param name="SourceFile">The lab file it was made from (its bare name), when known.</param>
/// <param name="Namespaces">How many of its three namespaces exist.</param>
public sealed record LabSummary(string Name, bool Owned, DateTimeOffset? CreatedAt, string? SourceFile = null, bool AsLesson = false,
    int VmsRunning = 0, int VmsTotal = 0, int Namespaces = 0);

/// <summary>A shipped lab file and the description it gives of itself.</summary>
public sealed record LabFileInfo(string File, string Description);

/// <summary>What `cleanup` did: the labs removed, and those left alone because the app does not own them.</summary>
public sealed record CleanupResult(IReadOnlyList<string> Removed, IReadOnlyList<string> LeftAlone);

/// <summary>
/// A new VM, as the page's form, the API's JSON and `netdash vm add` give it: strings as typed. A field left out (null)
/// takes <see cref="LabSuggestions"/>'s value; an empty MAC asks for a generated one; an empty address or gateway, or
/// bridge "none", asks for none.
/// </summary>
public sealed record NewVmRequest
{
    public string? Name { get; init; }
    public string? Mac { get; init; }
    public string? Tap { get; init; }
    public string Nic { get; init; } = "e1000";
    public int MemoryMb { get; init; } = 256;
    public string? Image { get; init; }
    public string? Address { get; init; }
    public string? Gateway { get; init; }
    /// <summary>The bridge the VM's tap joins (brought up and added as a port), or "none".</summary>
    public string? Bridge { get; init; }
}

/// <summary>What a teardown found: the lab removed, nothing of it there, or a lab this runtime folder has no record of (left alone).</summary>
public enum DownOutcome { Removed, NothingThere, Foreign }

/// <summary>What applying a lab file did: the steps run and what waits for a VM.</summary>
public sealed record ApplyResult(string Lab, IReadOnlyList<JournalEntry> Ran, IReadOnlyList<string> Pending);

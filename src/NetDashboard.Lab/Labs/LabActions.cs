using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Labs;

/// <summary>
/// A lab's life: made from a lab file, applied again, changed one typed step at a time, pinged through, removed. It
/// validates, runs through the engine (which journals) and says what happened as an <see cref="ActionResult"/>.
/// </summary>
public sealed class LabActions(LabEngine engine, LabRuntimeStore store, VmSupervisor vms, TopologyReader reader, LabReads reads,
    VmActions vmActions, ActionRunner act, LabServiceOptions options)
{
    /// <summary>The lab files shipped in the labs folder, by file name.</summary>
    public IReadOnlyList<string> ShippedLabFiles() =>
        Directory.Exists(options.LabsFolder)
            ? Directory.EnumerateFiles(options.LabsFolder, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The shipped lab files with their descriptions, for a picker.</summary>
    public IReadOnlyList<LabFileInfo> ShippedLabFileInfos() =>
        ShippedLabFiles().Select(file =>
        {
            try
            {
                return new LabFileInfo(file, LabFileReader.LoadFile(Path.Combine(options.LabsFolder, file)).Description);
            }
            catch (LabFileException)
            {
                return new LabFileInfo(file, "(this file is not a valid lab file)");
            }
        }).ToList();

    /// <summary>The disk images in the image folders, the only ones a VM may boot.</summary>
    public IReadOnlyList<DiskImageFile> DiskImages() => vms.Images.List();

    /// <summary>Validates the request, then applies the lab file; every field's problem is told before anything runs.</summary>
    public async Task<LabCreation> CreateLabAsync(CreateLabRequest request, IProgress<JournalEntry>? progress, CancellationToken cancellationToken)
    {
        var problems = new List<LabFileProblem>();
        if (request.Name is not null && LabFileProblem.Check("name", request.Name, InputRules.CheckLabName) is { } nameProblem)
            problems.Add(nameProblem);
        string? path = null;
        if (request.File is not null && request.Yaml is not null)
            problems.Add(new("file", "give either file (a shipped lab file) or yaml (a lab file's text), not both"));
        else if (request.File is null && request.Yaml is null && request.Name is null)
            problems.Add(new("name", "an empty lab needs a name (or give file or yaml)"));
        else if (request.File is { } file)
        {
            if (file.Length == 0 || file != Path.GetFileName(file) || file.Contains("..", StringComparison.Ordinal) || file.Contains('\0'))
                problems.Add(new("file", $"'{file}' is not a bare file name of the labs folder"));
            else if (!File.Exists(path = Path.Combine(options.LabsFolder, file)))
                problems.Add(new("file", $"the labs folder has no file '{file}'"));
        }
        if (problems.Count > 0) return new(ActionResult.Refused(problems), null, false);

        LabDefinition definition;
        string yaml;
        try
        {
            yaml = path is not null ? await File.ReadAllTextAsync(path, cancellationToken) : request.Yaml ?? $"name: {request.Name}\n";
            definition = LabFileLoader.Parse(yaml, path ?? request.SourcePath ?? "the lab file", request.Name);
        }
        catch (LabFileException e)
        {
            return new(ActionResult.Refused(e.Problems), null, false);
        }
        var existing = store.Read(definition.Name);
        var existed = existing is not null;
        // The same file again completes the lab (nothing to do when it is complete); another file never replaces it.
        if (existing is not null && (existing.AsLesson != request.AsLesson || SavedYamlOf(definition.Name) != yaml))
            return new(ActionResult.Conflict("name", $"a lab named '{definition.Name}' exists already"
                + (existing.SourceFile is { } source ? $" (made from {Path.GetFileName(source)}{(existing.AsLesson ? ", as a lesson" : "")})" : "")
                + "; open it, remove it first, or choose another name"), null, true);
        var ran = new List<JournalEntry>();
        return await act.RunAsync<LabCreation>(definition.Name, async () =>
        {
            var applied = await engine.ApplyAsync(definition, yaml, path ?? request.SourcePath, Collect(ran, progress), cancellationToken,
                waitForVms: request.Wait || request.AsLesson, asLesson: request.AsLesson);
            return new LabCreation(ActionResult.Ok(applied.Ran.Count == 0
                ? $"lab {definition.Name}: already as the file wants; nothing to do"
                : $"lab {definition.Name} is up ({applied.Ran.Count} commands)"), applied, existed);
        }, failed => new LabCreation(failed, null, existed), ran);
    }

    /// <summary>
    /// Removes every namespace, process and runtime file of a lab the app owns; a foreign lab (namespaces without a
    /// record here) only with <paramref name="foreign"/>, which the CLI's `lab down --foreign` alone passes.
    /// </summary>
    public async Task<LabTeardown> TearDownAsync(string lab, IProgress<JournalEntry>? progress, CancellationToken cancellationToken, bool foreign)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return new(bad, []);
        var ran = new List<JournalEntry>();
        return await act.RunAsync<LabTeardown>(lab, async () =>
        {
            var removed = await engine.DownAsync(lab, Collect(ran, progress), cancellationToken, foreign);
            return new LabTeardown(removed switch
            {
                DownOutcome.Removed => ActionResult.Ok($"lab {lab}: down"),
                DownOutcome.Foreign => ActionResult.Conflict("lab", $"lab {lab} is not this dashboard's: its namespaces exist, but {store.Root} holds no record of it "
                    + $"(made by hand, or by a dashboard with another runtime folder). It is left alone; `lab down --foreign {lab}` removes it"),
                _ => ActionResult.NoSuchLab(lab),
            }, ran);
        }, failed => new LabTeardown(failed, ran), ran,
            e => e is LabBusyException ? null : ActionResult.Failed($"lab {lab} could not be removed: {e.Message}"));
    }

    /// <summary>Removes every lab the app owns, and names those it leaves alone (namespaces without a runtime record).</summary>
    public async Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken)
    {
        var owned = store.ListLabs();
        foreach (var lab in owned)
            await TearDownAsync(lab, null, cancellationToken, foreign: false);
        var others = (await engine.ListLabsAsync(cancellationToken)).Except(owned).ToList();
        return new CleanupResult(owned, others);
    }

    /// <summary>Labs the app owns plus labs whose three namespaces exist without a record.</summary>
    public async Task<IReadOnlyList<LabSummary>> ListLabsAsync(CancellationToken cancellationToken)
    {
        var namespaces = await reader.ListNamespacesAsync(cancellationToken);
        return engine.ListLabs(namespaces).Select(lab =>
        {
            var present = new LabNamespaces(lab).All.Count(namespaces.Contains);
            if (store.Read(lab) is not { } record) return new LabSummary(lab, false, null, Namespaces: present);
            var vmStates = reads.VmStatuses(lab);
            return new LabSummary(lab, true, record.CreatedAt, record.SourceFile is { } file ? Path.GetFileName(file) : null, record.AsLesson,
                vmStates.Count(v => v.IsUp), vmStates.Count, present);
        }).ToList();
    }

    /// <summary>Runs one change typed by a person (the inspector, POST …/operations).</summary>
    public async Task<ActionResult> RunAsync(string lab, OperationRequest request, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        var (operation, problems) = request.ToOperation(lab);
        if (operation is null) return ActionResult.Refused(problems);
        if (store.RefuseIfNotOwned(lab) is { } notOwned) return notOwned;
        return await act.RunAsync(lab, async () =>
        {
            using var _ = await store.LockAsync(lab, cancellationToken);
            if (OperationChecks.Problem(operation, await reader.ReadAsync(lab, cancellationToken), reads.DefinitionOf(lab)) is { } there)
                return ActionResult.Refused([there]);
            var entry = await engine.RunAsync(lab, operation, cancellationToken);
            return ActionResult.Ok(entry.TutorialLine);
        }, explain: e => e is HostCommandException && FailureText.Of(e) is var failed ? failed with { Message = $"{operation.Tutorial}: {failed.Message}" } : null);
    }

    /// <summary>One ping from a VM (by name) or from the external PC ("pc"), the host ("host") or the wan ("wan").</summary>
    public async Task<ActionResult> PingAsync(string lab, string from, string target, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        if (InputRules.CheckIpv4(target) is { } problem)
            return ActionResult.Refused("target", problem);
        if (from is "pc" or "host" or "wan")
        {
            if (store.RefuseIfNotOwned(lab) is { } notOwned) return notOwned;
            var role = Enum.Parse<NamespaceRole>(from, ignoreCase: true);
            return await act.RunAsync(lab, async () =>
            {
                var entry = await engine.RunAsync(lab, new Ping(new LabNamespaces(lab).NameOf(role), IPAddress.Parse(target)), cancellationToken);
                return ActionResult.Ok($"{entry.TutorialLine}: reply received");
            }, explain: e => e is HostCommandException command ? ActionResult.Failed($"({from})$ ping -c 1 {target}: no reply. {command.StandardError}".Trim()) : null);
        }
        var result = (await vmActions.RunInGuestAsync(lab, from, $"ping -c 1 -W 2 {target}", null, replayable: false, cancellationToken)).Result;
        if (result.Succeeded) return result with { Message = $"{result.Message}: reply received" };
        // The guest's own words say why ("Network is unreachable", "100% packet loss"), not just an exit code.
        var why = (result.Output ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("PING ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal));
        return why is null ? result : result with { Message = $"{result.Message}: no reply ({Printable.Escape(why)})" };
    }

    /// <summary>Applies the lab's own file again: what drifted away comes back, nothing else runs.</summary>
    public async Task<ActionResult> ReapplyAsync(string lab, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        if (reads.DefinitionOf(lab) is not { } definition) return ActionResult.NoSuchLab(lab);
        var ran = new List<JournalEntry>();
        return await act.RunAsync(lab, async () =>
        {
            var result = await engine.ApplyAsync(definition, await File.ReadAllTextAsync(store.DefinitionPathOf(lab), cancellationToken), null,
                Collect(ran, null), cancellationToken);
            return ActionResult.Ok(result.Ran.Count == 0 ? "nothing was missing" : $"{result.Ran.Count} commands ran");
        }, ran);
    }

    private string? SavedYamlOf(string lab)
    {
        var path = store.DefinitionPathOf(lab);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    // Each step as it ran: kept for a failure's "had run before this", and reported to the caller's progress.
    private static Progress Collect(List<JournalEntry> ran, IProgress<JournalEntry>? progress) => new(entry =>
    {
        ran.Add(entry);
        progress?.Report(entry);
    });

    private sealed class Progress(Action<JournalEntry> report) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => report(value);
    }
}

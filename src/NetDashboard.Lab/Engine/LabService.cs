using System.Net;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Engine;

/// <summary>
/// The one door: every action a person takes on a lab, whether from a page, the HTTP API or the CLI. It validates,
/// runs through the engine (which journals), turns what a person can cause into an <see cref="ActionResult"/>, and
/// pokes the lab's live events. The faces only translate its results (status codes, exit codes, what a page shows).
/// </summary>
public sealed partial class LabService(
    LabEngine engine, LabRuntimeStore store, VmSupervisor vms, TopologyReader reader, LabEvents events, CaptureService captures,
    LabServiceOptions options)
{
    // A VM's verbs, its guest's commands and new VMs: the VM feature's service, behind this door.
    private readonly VmActions _vmActions = new(engine, store, vms, reader, events, options);

    /// <summary>The lab files shipped in the labs folder, by file name.</summary>
    public IReadOnlyList<string> ShippedLabFiles() =>
        Directory.Exists(options.LabsFolder)
            ? Directory.EnumerateFiles(options.LabsFolder, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Validates the request, then applies the lab file; every field's problem is told before anything runs.</summary>
    public async Task<LabCreation> CreateLabAsync(CreateLabRequest request, IProgress<JournalEntry>? progress = null,
        CancellationToken cancellationToken = default)
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
        try
        {
            var applied = await engine.ApplyAsync(definition, yaml, path ?? request.SourcePath, new Collect(entry =>
                {
                    ran.Add(entry);
                    progress?.Report(entry);
                }), cancellationToken,
                waitForVms: request.Wait || request.AsLesson, asLesson: request.AsLesson);
            return new(ActionResult.Ok(applied.Ran.Count == 0
                ? $"lab {definition.Name}: already as the file wants; nothing to do"
                : $"lab {definition.Name} is up ({applied.Ran.Count} commands)"), applied, existed);
        }
        catch (LabException e)
        {
            return new(FailureText.Of(e).AfterSteps(definition.Name, ran), null, existed);
        }
        finally
        {
            events.Trigger(definition.Name);
        }
    }

    /// <summary>
    /// Removes every namespace, process and runtime file of a lab the app owns; a foreign lab (namespaces without a
    /// record here) only with <paramref name="foreign"/>, which the CLI's `lab down --foreign` alone passes.
    /// </summary>
    public async Task<LabTeardown> TearDownAsync(string lab, IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default,
        bool foreign = false)
    {
        if (BadLabName(lab) is { } bad) return new(bad, []);
        var ran = new List<JournalEntry>();
        try
        {
            var removed = await engine.DownAsync(lab, new Collect(entry =>
            {
                ran.Add(entry);
                progress?.Report(entry);
            }), cancellationToken, foreign);
            return new(removed switch
            {
                DownOutcome.Removed => ActionResult.Ok($"lab {lab}: down"),
                DownOutcome.Foreign => ActionResult.Conflict("lab", $"lab {lab} is not this dashboard's: its namespaces exist, but {store.Root} holds no record of it "
                    + $"(made by hand, or by a dashboard with another runtime folder). It is left alone; `lab down --foreign {lab}` removes it"),
                _ => ActionResult.NoSuchLab(lab),
            }, ran);
        }
        catch (LabBusyException e)
        {
            return new(FailureText.Of(e), ran);
        }
        catch (LabException e)
        {
            return new(ActionResult.Failed($"lab {lab} could not be removed: {e.Message}").AfterSteps(lab, ran), ran);
        }
        finally
        {
            events.Trigger(lab);
        }
    }

    /// <summary>Removes every lab the app owns, and names those it leaves alone (namespaces without a runtime record).</summary>
    public async Task<CleanupResult> CleanupAsync(CancellationToken cancellationToken = default)
    {
        var owned = store.ListLabs();
        foreach (var lab in owned)
            await TearDownAsync(lab, null, cancellationToken);
        var others = (await engine.ListLabsAsync(cancellationToken)).Except(owned).ToList();
        return new CleanupResult(owned, others);
    }

    /// <summary>Labs the app owns plus labs whose three namespaces exist without a record.</summary>
    public async Task<IReadOnlyList<LabSummary>> ListLabsAsync(CancellationToken cancellationToken = default)
    {
        var namespaces = await reader.ListNamespacesAsync(cancellationToken);
        return engine.ListLabs(namespaces).Select(lab =>
        {
            var present = new LabNamespaces(lab).All.Count(namespaces.Contains);
            if (store.Read(lab) is not { } record) return new LabSummary(lab, false, null, Namespaces: present);
            var vmStates = VmStatuses(lab);
            return new LabSummary(lab, true, record.CreatedAt, record.SourceFile is { } file ? Path.GetFileName(file) : null, record.AsLesson,
                vmStates.Count(v => v.IsUp), vmStates.Count, present);
        }).ToList();
    }

    /// <summary>The disk images in the image folders, the only ones a VM may boot.</summary>
    public IReadOnlyList<DiskImageFile> DiskImages() => vms.Images.List();

    /// <summary>The shipped lab files with their descriptions, for a picker.</summary>
    public IReadOnlyList<LabFileInfo> ShippedLabFileInfos() =>
        ShippedLabFiles().Select(file =>
        {
            try
            {
                return new LabFileInfo(file, LabFileLoader.LoadFile(Path.Combine(options.LabsFolder, file)).Description);
            }
            catch (LabFileException)
            {
                return new LabFileInfo(file, "(this file is not a valid lab file)");
            }
        }).ToList();

    /// <summary>Runs one change typed by a person (the inspector, POST …/operations).</summary>
    public async Task<ActionResult> RunAsync(string lab, OperationRequest request, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return bad;
        var (operation, problems) = request.ToOperation(lab);
        if (operation is null) return ActionResult.Refused(problems);
        if (NotOwned(lab) is { } notOwned) return notOwned;
        try
        {
            using var _ = await store.LockAsync(lab, cancellationToken);
            if (OperationChecks.Problem(operation, await reader.ReadAsync(lab, cancellationToken), DefinitionOf(lab)) is { } there)
                return ActionResult.Refused([there]);
            var entry = await engine.RunAsync(lab, operation, cancellationToken);
            return ActionResult.Ok(entry.TutorialLine);
        }
        catch (HostCommandException e)
        {
            var failed = FailureText.Of(e);
            return failed with { Message = $"{operation.Tutorial}: {failed.Message}" };
        }
        catch (LabException e)
        {
            return FailureText.Of(e);
        }
        finally
        {
            events.Trigger(lab);
        }
    }

    /// <summary>
    /// Starts, stops or restarts a VM. After a start the lab file's ports and addresses for its tap apply again and the
    /// guest is configured, whoever asked: the UI, the API and the CLI get the same reconcile.
    /// </summary>
    public Task<ActionResult> VmAsync(string lab, string vm, VmVerb verb, CancellationToken cancellationToken = default) =>
        _vmActions.VmAsync(lab, vm, verb, cancellationToken);

    /// <summary>
    /// Runs one command line in a built-in guest. <paramref name="timeout"/> defaults to the configured one; the
    /// command and the timeout are checked here only, for every face.
    /// </summary>
    public Task<GuestCommandOutcome> ExecAsync(string lab, string vm, string? command, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        _vmActions.RunInGuestAsync(lab, vm, command, timeout, replayable: true, cancellationToken);

    /// <summary>What a new VM of the lab gets for each field left out (see <see cref="LabSuggestions"/>); null when there is no such lab.</summary>
    public Task<NewVmRequest?> SuggestVmAsync(string lab, CancellationToken cancellationToken = default) =>
        _vmActions.SuggestAsync(lab, cancellationToken);

    /// <summary>
    /// Creates a VM from a form's strings, starts it, puts its tap up in its bridge and configures the guest; a field
    /// left out (null) takes the suggestion, an empty MAC is generated.
    /// </summary>
    public Task<ActionResult> CreateVmAsync(string lab, NewVmRequest request, CancellationToken cancellationToken = default) =>
        _vmActions.CreateAsync(lab, request, cancellationToken);

    /// <summary>Gives a guest its eth0 address and default gateway with the tutorial's commands.</summary>
    public Task<ActionResult> ConfigureGuestAsync(string lab, string vm, string address, string? gateway, CancellationToken cancellationToken = default) =>
        _vmActions.ConfigureGuestAsync(lab, vm, address, gateway, cancellationToken);

    /// <summary>One ping from a VM (by name) or from the external PC ("pc"), the host ("host") or the wan ("wan").</summary>
    public async Task<ActionResult> PingAsync(string lab, string from, string target, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (InputRules.CheckIpv4(target) is { } problem)
            return ActionResult.Refused("target", problem);
        if (from is "pc" or "host" or "wan")
        {
            if (NotOwned(lab) is { } notOwned) return notOwned;
            var role = Enum.Parse<NamespaceRole>(from, ignoreCase: true);
            try
            {
                var entry = await engine.RunAsync(lab, new Ping(new LabNamespaces(lab).NameOf(role), IPAddress.Parse(target)), cancellationToken);
                return ActionResult.Ok($"{entry.TutorialLine}: reply received");
            }
            catch (HostCommandException e)
            {
                return ActionResult.Failed($"({from})$ ping -c 1 {target}: no reply. {e.StandardError}".Trim());
            }
            finally
            {
                events.Trigger(lab);
            }
        }
        var result = (await _vmActions.RunInGuestAsync(lab, from, $"ping -c 1 -W 2 {target}", null, replayable: false, cancellationToken)).Result;
        if (result.Succeeded) return result with { Message = $"{result.Message}: reply received" };
        // The guest's own words say why ("Network is unreachable", "100% packet loss"), not just an exit code.
        var why = (result.Output ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("PING ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal));
        return why is null ? result : result with { Message = $"{result.Message}: no reply ({Printable.Escape(why)})" };
    }

    /// <summary>Applies the lab's own file again: what drifted away comes back, nothing else runs.</summary>
    public async Task<ActionResult> ReapplyAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (DefinitionOf(lab) is not { } definition) return ActionResult.NoSuchLab(lab);
        var ran = new List<JournalEntry>();
        try
        {
            var result = await engine.ApplyAsync(definition, await File.ReadAllTextAsync(store.DefinitionPathOf(lab), cancellationToken), null,
                new Collect(ran.Add), cancellationToken);
            return ActionResult.Ok(result.Ran.Count == 0 ? "nothing was missing" : $"{result.Ran.Count} commands ran");
        }
        catch (LabException e)
        {
            return FailureText.Of(e).AfterSteps(lab, ran);
        }
        finally
        {
            events.Trigger(lab);
        }
    }

    private string? SavedYamlOf(string lab)
    {
        var path = store.DefinitionPathOf(lab);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private async Task<bool> ExistsAsync(string lab, CancellationToken cancellationToken) =>
        store.Read(lab) is not null
        || (await reader.ListNamespacesAsync(cancellationToken)).Any(new LabNamespaces(lab).All.Contains);

    // Changes go only to labs this runtime folder owns; a foreign lab's namespaces are read, never changed.
    private ActionResult? NotOwned(string lab) => store.Read(lab) is not null ? null : ActionResult.NoSuchLab(lab) with
    {
        Message = $"there is no lab named '{lab}' in {store.Root} (a lab made by hand or by another runtime folder is only read, never changed)",
    };

    internal static ActionResult? BadLabName(string lab) =>
        InputRules.CheckLabName(lab) is { } problem ? ActionResult.Refused("lab", $"'{lab}' is not a lab name: {problem}") : null;

    private sealed class Collect(Action<JournalEntry> report) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => report(value);
    }
}

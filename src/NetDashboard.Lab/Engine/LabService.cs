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

    /// <summary>What the kernel holds for a lab, its record and its VMs; null when nothing of the lab exists.</summary>
    public async Task<LabStatus?> StatusAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        var topology = await reader.ReadAsync(lab, cancellationToken);
        var record = store.Read(lab);
        if (topology.Namespaces.All(n => !n.Exists) && record is null)
            return null;
        var definition = DefinitionOf(lab);
        var guests = new Dictionary<string, GuestState>();
        foreach (var vm in definition?.Vms ?? [])
        {
            if (await vms.ReadGuestAsync(lab, vm, cancellationToken) is { } guest)
                guests[vm.Name] = guest;
        }
        return LabStatus.From(topology, record, VmStatuses(lab), definition, guests);
    }

    /// <summary>Refused when <paramref name="lab"/> is not a lab name, with the one wording every face shows; else null.</summary>
    public static ActionResult? CheckLabName(string lab) => BadLabName(lab);

    /// <summary>What the kernel holds for a lab now (no guest is asked); null when nothing of the lab exists.</summary>
    public async Task<Topology?> TopologyAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        var topology = await reader.ReadAsync(lab, cancellationToken);
        return topology.Namespaces.All(n => !n.Exists) && store.Read(lab) is null ? null : topology;
    }

    /// <summary>
    /// The kernel's tables of one namespace (host, wan or pc): routes and neighbours, and a bridge's MAC table when
    /// <paramref name="bridge"/> names one. Reading changes nothing and is not journaled.
    /// </summary>
    public async Task<(ActionResult Result, KernelTables? Tables)> TablesAsync(string lab, string ns, string? bridge, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return (bad, null);
        if (ns is not ("host" or "wan" or "pc")) return (ActionResult.Refused("namespace", $"'{ns}' is not host, wan or pc"), null);
        if (bridge is not null && LabFileProblem.Check("bridge", bridge, InputRules.CheckInterfaceName) is { } problem)
            return (ActionResult.Refused([problem]), null);
        if (await TopologyAsync(lab, cancellationToken) is not { } topology) return (ActionResult.NoSuchLab(lab), null);
        var state = topology.Find(Enum.Parse<NamespaceRole>(ns, ignoreCase: true));
        if (state is not { Exists: true }) return (ActionResult.NotFound($"{ns} of lab {lab} does not exist"), null);
        if (bridge is not null && state.Link(bridge)?.Kind != "bridge") return (ActionResult.NotFound($"there is no bridge named {bridge} in {ns}"), null);
        try
        {
            return (ActionResult.Ok($"{ns} tables"), await reader.ReadTablesAsync(state.Name, bridge, cancellationToken));
        }
        catch (HostCommandException e)
        {
            return (ActionResult.Failed($"the tables of {ns} could not be read: {e.StandardError}"), null);
        }
    }

    /// <summary>
    /// Packets each interface of the lab has carried (received plus sent), keyed like "host/tap0", from the kernel's
    /// counters: cheap enough to read every second, unlike a capture. Namespaces that do not exist are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> LinkPacketsAsync(string lab, CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<string, long>();
        if (InputRules.CheckLabName(lab) is not null) return counts;
        foreach (var role in Enum.GetValues<NamespaceRole>())
        {
            var ns = new LabNamespaces(lab).NameOf(role);
            if (!NetNamespaces.Names().Contains(ns)) continue;
            try
            {
                foreach (var (name, packets) in await reader.ReadLinkPacketsAsync(ns, cancellationToken))
                    counts[$"{role.ToString().ToLowerInvariant()}/{name}"] = packets;
            }
            catch (HostCommandException)
            {
                // The namespace went away between the look and the read: its links have no rate.
            }
        }
        return counts;
    }

    /// <summary>Each VM of the lab file as the supervisor sees it now.</summary>
    public IReadOnlyList<VmStatus> VmStatuses(string lab) =>
        DefinitionOf(lab)?.Vms.Select(vm => vms.StatusOf(lab, vm)).ToList() ?? [];

    /// <summary>Every command run for a lab, in order; null when the app does not own the lab.</summary>
    public IReadOnlyList<JournalEntry>? JournalOf(string lab) =>
        InputRules.CheckLabName(lab) is null && store.Read(lab) is not null ? store.JournalOf(lab).ReadAll() : null;

    /// <summary>The journal as a bash script that rebuilds the lab; null when the app does not own the lab.</summary>
    public string? JournalScriptOf(string lab) =>
        JournalOf(lab) is { } entries
            ? JournalScript.Export(lab, entries, store.Root, (DefinitionOf(lab)?.World ?? new WorldDefinition()).InternetServer)
            : null;

    /// <summary>The lab file as the app holds it now, or null.</summary>
    public LabDefinition? DefinitionOf(string lab) => store.TryReadDefinition(lab);

    /// <summary>The lab's record (source file, lesson or not), or null.</summary>
    public LabRecord? RecordOf(string lab) => InputRules.CheckLabName(lab) is null ? store.Read(lab) : null;

    /// <summary>Runs one change typed by a person (the inspector, POST …/operations).</summary>
    public async Task<ActionResult> RunAsync(string lab, OperationRequest request, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return bad;
        var (operation, problems) = request.ToOperation(lab);
        if (operation is null) return ActionResult.Refused(problems);
        if (NotOwned(lab) is { } notOwned) return notOwned;
        try
        {
            using var _ = store.Lock(lab);
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
    public async Task<ActionResult> VmAsync(string lab, string vm, VmVerb verb, CancellationToken cancellationToken = default)
    {
        if (FindVm(lab, vm, out var definition) is { } missing) return missing;
        try
        {
            if (verb != VmVerb.Start && vms.StatusOf(lab, definition).IsUp)
                await engine.RememberTapAsync(lab, definition, cancellationToken);
            VmStatus status;
            // The lock covers QEMU's start or stop; the reconcile after it takes the lock itself.
            using (store.Lock(lab))
            {
                if (verb != VmVerb.Stop && LabPreflight.StartProblems(lab, [definition], vms) is { Count: > 0 } problems)
                    return ActionResult.Refused(problems);
                status = verb switch
                {
                    VmVerb.Start => await vms.StartAsync(lab, definition, cancellationToken),
                    VmVerb.Stop => await vms.StopAsync(lab, definition, cancellationToken),
                    _ => await vms.RestartAsync(lab, definition, cancellationToken),
                };
            }
            if (verb != VmVerb.Stop)
            {
                await engine.ReconcileVmAsync(DefinitionOf(lab)!, definition, cancellationToken);
                status = vms.StatusOf(lab, definition);
            }
            return ActionResult.Ok($"{vm} is {status.State.ToString().ToLowerInvariant()}{(status.Pid is { } pid ? $" (pid {pid})" : "")}");
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
    /// Runs one command line in a built-in guest. <paramref name="timeout"/> defaults to the configured one; the
    /// command and the timeout are checked here only, for every face.
    /// </summary>
    public Task<GuestCommandOutcome> ExecAsync(string lab, string vm, string? command, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        RunInGuestAsync(lab, vm, command, timeout, replayable: true, cancellationToken);

    // A probe (a ping, a trace's request) is journaled but never replayed by a rebuild script: it asks, it builds nothing.
    private async Task<GuestCommandOutcome> RunInGuestAsync(string lab, string vm, string? command, TimeSpan? timeout, bool replayable,
        CancellationToken cancellationToken)
    {
        if (FindVm(lab, vm, out var definition) is { } missing) return new(missing, null);
        var problems = new List<LabFileProblem>();
        if (InputRules.CheckGuestCommand(command) is { } commandProblem)
            problems.Add(new("command", commandProblem));
        var wait = timeout ?? options.GuestCommandTimeout;
        if (wait < TimeSpan.FromSeconds(1) || wait > LabServiceOptions.MaxGuestCommandTimeout)
            problems.Add(new("timeoutSeconds", $"{wait.TotalSeconds:0.###} is not between 1 and {LabServiceOptions.MaxGuestCommandTimeout.TotalSeconds:0} seconds"));
        if (problems.Count > 0) return new(ActionResult.Refused(problems), null);
        try
        {
            var result = await vms.ExecAsync(lab, definition, command!, wait, cancellationToken, replayable);
            return new(result.Succeeded
                ? ActionResult.Ok($"({vm})$ {command}", result.Output)
                : ActionResult.Failed($"({vm})$ {command} exited with {result.ExitCode}", result.Output), result);
        }
        catch (LabException e)
        {
            return new(ActionResult.Failed($"({vm})$ {command} did not run: {e.Message}"), null);
        }
        finally
        {
            events.Trigger(lab);
        }
    }

    /// <summary>What a new VM of the lab gets for each field left out (see <see cref="LabSuggestions"/>); null when there is no such lab.</summary>
    public async Task<NewVmRequest?> SuggestVmAsync(string lab, CancellationToken cancellationToken = default) =>
        InputRules.CheckLabName(lab) is null && DefinitionOf(lab) is { } current
            ? LabSuggestions.Vm(current, await reader.ReadAsync(lab, cancellationToken))
            : null;

    /// <summary>
    /// Creates a VM from a form's strings, starts it, puts its tap up in its bridge and configures the guest; a field
    /// left out (null) takes the suggestion, an empty MAC is generated.
    /// </summary>
    public async Task<ActionResult> CreateVmAsync(string lab, NewVmRequest request, CancellationToken cancellationToken = default)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (DefinitionOf(lab) is not { } current) return ActionResult.NoSuchLab(lab);
        var problems = new List<LabFileProblem>();
        void Check(string field, string? value, Func<string?, string?> rule)
        {
            if (LabFileProblem.Check(field, value, rule) is { } problem) problems.Add(problem);
        }
        // What was typed is judged first, without a look at the kernel: a bad value is refused at once, naming its field.
        Check("name", request.Name, InputRules.CheckVmName);
        if (request.Tap is not null) Check("tap", request.Tap, InputRules.CheckInterfaceName);
        // Spaces around a pasted value go; any other character is judged, never cleaned away ("52:…:31\r" is refused).
        var mac = string.IsNullOrWhiteSpace(request.Mac) ? LabFileLoader.NewMac(current).ToString() : request.Mac.Trim(' ');
        Check("mac", mac, InputRules.CheckMac);
        var bridge = string.IsNullOrWhiteSpace(request.Bridge) ? request.Bridge is null ? null : LabSuggestions.None : request.Bridge.Trim(' ');
        if (bridge is not null && bridge != LabSuggestions.None) Check("bridge", bridge, InputRules.CheckInterfaceName);
        var address = NoneAsEmpty(request.Address);
        var gateway = NoneAsEmpty(request.Gateway);
        if (!string.IsNullOrEmpty(address)) Check("address", address, InputRules.CheckInterfaceAddress);
        if (!string.IsNullOrEmpty(gateway)) Check("gateway", gateway, InputRules.CheckIpv4);
        var image = string.IsNullOrWhiteSpace(request.Image) ? VmDefinition.BuiltinImage : request.Image.Trim(' ');
        Check("image", image, InputRules.CheckImage);
        if (request.MemoryMb is < 64 or > 8192) problems.Add(new("memory", "memory is in MiB, between 64 and 8192"));
        if (request.Nic is not ("e1000" or "virtio-net")) problems.Add(new("nic", $"'{request.Nic}' is not e1000 or virtio-net"));
        if (problems.Count == 0 && vms.ImageProblem(image) is { } imageProblem) problems.Add(new("image", imageProblem));
        if (problems.Count > 0) return ActionResult.Refused(problems);

        // Then what was left out takes the suggestion, and a named bridge must be one the lab has.
        var kernel = await reader.ReadAsync(lab, cancellationToken);
        var suggested = LabSuggestions.Vm(current, kernel);
        var tap = request.Tap ?? suggested.Tap!;
        bridge ??= suggested.Bridge;
        if (bridge == LabSuggestions.None) bridge = null;
        else if (kernel.Host.Link(bridge!) is not { Kind: "bridge" } && current.Host.Bridges.All(b => b.Name != bridge))
            problems.Add(new("bridge", $"lab {lab} has no bridge named '{bridge}' (it has: {BridgeNames(current, kernel)}); give one of them or \"{LabSuggestions.None}\""));
        address ??= suggested.Address;
        // A suggested gateway follows a suggested address: next to an address of another subnet it would be refused.
        gateway ??= request.Address is null ? suggested.Gateway : "";
        if (GatewayProblem(address, gateway) is { } gatewayProblem) problems.Add(gatewayProblem);
        if (problems.Count > 0) return ActionResult.Refused(problems);

        var vm = new VmDefinition
        {
            Name = request.Name!,
            Mac = MacAddress.Parse(mac),
            Tap = tap,
            Nic = request.Nic == "virtio-net" ? NicModel.VirtioNet : NicModel.E1000,
            MemoryMb = request.MemoryMb,
            Image = image,
            Address = string.IsNullOrEmpty(address) ? null : InterfaceAddress.Parse(address),
            Gateway = string.IsNullOrEmpty(gateway) ? null : IPAddress.Parse(gateway),
        };
        if (LabPreflight.StartProblems(lab, [vm], vms) is { Count: > 0 } startProblems)
            return ActionResult.Refused(startProblems.Select(p => p with { Field = p.Field == "vms" ? "memory" : p.Field }).ToList());
        try
        {
            var status = await engine.AddVmAsync(lab, vm, bridge, cancellationToken);
            return ActionResult.Ok($"{vm.Name} ({vm.Mac} on {vm.Tap}{(bridge is null ? "" : $" in {bridge}")}) is {status.State.ToString().ToLowerInvariant()}");
        }
        catch (LabFileException e)
        {
            // The lab file refuses it as a whole (a duplicate name, tap or MAC): say which field.
            return ActionResult.Refused(e.Problems.Select(p => p with { Field = FormFieldOf(p) }).ToList());
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

    private static string? NoneAsEmpty(string? value) => value?.Trim(' ') is LabSuggestions.None ? "" : value?.Trim(' ');

    private static string BridgeNames(LabDefinition lab, Topology kernel)
    {
        var names = lab.Host.Bridges.Select(b => b.Name).Union(kernel.Host.Links.Where(l => l.Kind == "bridge").Select(l => l.Name)).Order(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static string FormFieldOf(LabFileProblem problem) =>
        problem.Field.EndsWith(".mac", StringComparison.Ordinal) || problem.Message.Contains("share MAC", StringComparison.Ordinal) ? "mac"
        : problem.Field.EndsWith(".tap", StringComparison.Ordinal) || problem.Message.Contains("tap", StringComparison.Ordinal) ? "tap"
        : problem.Field.EndsWith(".name", StringComparison.Ordinal) || problem.Message.Contains("are named", StringComparison.Ordinal) ? "name"
        : problem.Field;

    /// <summary>Gives a guest its eth0 address and default gateway with the tutorial's commands.</summary>
    public async Task<ActionResult> ConfigureGuestAsync(string lab, string vm, string address, string? gateway, CancellationToken cancellationToken = default)
    {
        var problems = new List<LabFileProblem>();
        if (InputRules.CheckInterfaceAddress(address) is { } addressProblem) problems.Add(new("address", addressProblem));
        if (!string.IsNullOrEmpty(gateway) && InputRules.CheckIpv4(gateway) is { } gatewayProblem) problems.Add(new("gateway", gatewayProblem));
        if (problems.Count == 0 && GatewayProblem(address, gateway) is { } outside) problems.Add(outside);
        if (problems.Count > 0) return ActionResult.Refused(problems);
        var result = (await ExecAsync(lab, vm, GuestSetup.IfconfigCommand(InterfaceAddress.Parse(address)), cancellationToken: cancellationToken)).Result;
        if (!result.Succeeded || string.IsNullOrEmpty(gateway)) return result;
        return (await ExecAsync(lab, vm, $"route add -net 0.0.0.0/0 gw {gateway}", cancellationToken: cancellationToken)).Result;
    }

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
        var result = (await RunInGuestAsync(lab, from, $"ping -c 1 -W 2 {target}", null, replayable: false, cancellationToken)).Result;
        if (result.Succeeded) return result with { Message = $"{result.Message}: reply received" };
        // The guest's own words say why ("Network is unreachable", "100% packet loss"), not just an exit code.
        var why = (result.Output ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("PING ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal));
        return why is null ? result : result with { Message = $"{result.Message}: no reply ({Printable.Escape(why)})" };
    }

    /// <summary>
    /// What the lab file wants that the kernel lacks (the planner's steps for this snapshot), as tutorial lines. A lesson
    /// lab is compared with the finished lesson (its whole file), so this is the list of steps still to do, never an
    /// undo of a step the learner made.
    /// </summary>
    public IReadOnlyList<string> DriftOf(string lab, LabDefinition? definition, Topology topology)
    {
        if (definition is null || topology.Namespaces.All(n => !n.Exists)) return [];
        var plan = LabPlanner.Plan(definition, topology, engine.IsInternetServerRunning(lab), store.WebRootOf(lab));
        var who = new LabNamespaces(lab);
        var asLesson = store.Read(lab)?.AsLesson == true;
        return plan.Operations
            // A learner who turned something on that the lesson leaves off is exploring, not drifting.
            .Where(op => !asLesson || op is not (SetForwarding { Enabled: false } or SetLinkState { Up: false }))
            .Select(op => $"({who.RoleOf(op.Namespace)?.ToString().ToLowerInvariant() ?? "host"})$ {op.Tutorial}")
            .ToList();
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

    private static LabFileProblem? GatewayProblem(string? address, string? gateway) =>
        InterfaceAddress.TryParse(address, out var parsed) && InputRules.CheckIpv4(gateway) is null
            ? InputRules.CheckGatewayInSubnet(parsed, IPAddress.Parse(gateway!)) is { } problem ? new LabFileProblem("gateway", problem) : null
            : null;

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

    private static ActionResult? BadLabName(string lab) =>
        InputRules.CheckLabName(lab) is { } problem ? ActionResult.Refused("lab", $"'{lab}' is not a lab name: {problem}") : null;

    private ActionResult? FindVm(string lab, string vm, out VmDefinition definition)
    {
        definition = null!;
        if (BadLabName(lab) is { } bad) return bad;
        // A value that can never name a VM is refused as such, not looked up as one that is missing.
        if (LabFileProblem.Check("vm", vm, InputRules.CheckVmName) is { } badVm) return ActionResult.Refused([badVm]);
        if (DefinitionOf(lab) is not { } labDefinition) return ActionResult.NoSuchLab(lab);
        if (labDefinition.Vm(vm) is not { } found) return ActionResult.NotFound(labDefinition.NoSuchVm(vm));
        definition = found;
        return null;
    }

    private sealed class Collect(Action<JournalEntry> report) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => report(value);
    }
}

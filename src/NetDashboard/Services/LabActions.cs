using System.Net;
using Microsoft.Extensions.Options;
using NetDashboard.Configuration;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Services;

/// <summary>The create-VM form: strings as typed; an empty MAC asks for a generated one.</summary>
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
}

/// <summary>
/// A lab to create or complete: a shipped lab file (a bare name in the labs folder), a lab file's text, or
/// neither, for an empty lab (the world only) named <see cref="Name"/>.
/// </summary>
public sealed record CreateLabRequest(string? File = null, string? Yaml = null, string? Name = null, bool Wait = false, bool AsLesson = false);

/// <summary>What creating a lab did; <see cref="Applied"/> is set when it ran, <see cref="Existed"/> when the lab was there before.</summary>
public sealed record LabCreation(ActionResult Result, ApplyResult? Applied, bool Existed);

/// <summary>What an action did: success with a message, refused input (per field, nothing ran), or a failed command.</summary>
public sealed record ActionResult(bool Succeeded, string Message, IReadOnlyList<LabFileProblem> Problems, string? Output = null)
{
    public static ActionResult Ok(string message, string? output = null) => new(true, message, [], output);
    public static ActionResult Refused(IReadOnlyList<LabFileProblem> problems) =>
        new(false, string.Join("; ", problems.Select(p => p.ToString())), problems);
    public static ActionResult Failed(string message, string? output = null) => new(false, message, [], output);
}

/// <summary>
/// The actions a person takes on a lab, shared by the dashboard and the HTTP API: validate, run through the
/// engine (which journals), and turn failures into sentences with the tool's own stderr.
/// </summary>
public sealed class LabActions(LabEngine engine, TopologyWatchers watchers, IOptions<DashboardOptions> options)
{
    private static readonly TimeSpan GuestTimeout = TimeSpan.FromSeconds(20);

    private string LabsFolder => Path.GetFullPath(options.Value.LabsFolder, RepositoryLayout.FindRoot());

    /// <summary>The lab files shipped in the labs folder, by file name.</summary>
    public IReadOnlyList<string> ShippedLabFiles() =>
        Directory.Exists(LabsFolder)
            ? Directory.EnumerateFiles(LabsFolder, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Validates the request, then applies the lab file; every field's problem is told before anything runs.</summary>
    public async Task<LabCreation> CreateLabAsync(CreateLabRequest request, CancellationToken cancellationToken = default)
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
            else if (!File.Exists(path = Path.Combine(LabsFolder, file)))
                problems.Add(new("file", $"the labs folder has no file '{file}'"));
        }
        if (problems.Count > 0) return new(ActionResult.Refused(problems), null, false);

        LabDefinition definition;
        string yaml;
        try
        {
            yaml = path is not null ? await File.ReadAllTextAsync(path, cancellationToken) : request.Yaml ?? $"name: {request.Name}\n";
            definition = LabFileLoader.Parse(yaml, path ?? "the lab file", request.Name);
        }
        catch (LabFileException e)
        {
            return new(ActionResult.Refused(e.Problems), null, false);
        }
        var existed = engine.Store.Read(definition.Name) is not null;
        try
        {
            var applied = await engine.ApplyAsync(definition, yaml, path, null, cancellationToken,
                waitForVms: request.Wait || request.AsLesson, asLesson: request.AsLesson);
            return new(ActionResult.Ok($"lab {definition.Name} is up ({applied.Ran.Count} commands)"), applied, existed);
        }
        catch (Exception e) when (e is HostCommandException or GuestCommandException or LabFileException)
        {
            return new(ActionResult.Failed(e.Message), null, existed);
        }
        finally
        {
            watchers.Trigger(definition.Name);
        }
    }

    public async Task<ActionResult> RunAsync(string lab, OperationRequest request, CancellationToken cancellationToken = default)
    {
        var (operation, problems) = request.ToOperation(lab);
        if (operation is null) return ActionResult.Refused(problems);
        try
        {
            var entry = await engine.RunAsync(lab, operation, cancellationToken);
            return ActionResult.Ok(entry.TutorialLine);
        }
        catch (HostCommandException e)
        {
            return ActionResult.Failed($"{operation.Tutorial} failed: {e.StandardError}");
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    public async Task<ActionResult> VmAsync(string lab, string vm, string verb, CancellationToken cancellationToken = default)
    {
        if (FindVm(lab, vm) is not { } definition)
            return ActionResult.Refused([new("vm", $"lab {lab} has no VM named '{vm}'")]);
        try
        {
            var status = verb switch
            {
                "start" => await engine.Vms.StartAsync(lab, definition, cancellationToken),
                "stop" => await engine.Vms.StopAsync(lab, definition, cancellationToken),
                "restart" => await engine.Vms.RestartAsync(lab, definition, cancellationToken),
                _ => null,
            };
            if (status is null)
                return ActionResult.Refused([new("action", $"'{verb}' is not start, stop or restart")]);
            // Once the tap exists again, the lab file's ports and addresses for it apply, and the guest is configured.
            if (verb != "stop")
                await engine.ReconcileVmAsync(engine.Store.TryReadDefinition(lab)!, definition, cancellationToken);
            return ActionResult.Ok($"{vm} is {status.State.ToString().ToLowerInvariant()}");
        }
        catch (Exception e) when (e is HostCommandException or GuestCommandException or LabFileException)
        {
            return ActionResult.Failed(e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    public async Task<ActionResult> ExecAsync(string lab, string vm, string command, CancellationToken cancellationToken = default)
    {
        if (FindVm(lab, vm) is not { } definition)
            return ActionResult.Refused([new("vm", $"lab {lab} has no VM named '{vm}'")]);
        try
        {
            var result = await engine.Vms.ExecAsync(lab, definition, command, GuestTimeout, cancellationToken);
            return result.Succeeded
                ? ActionResult.Ok($"({vm})$ {command}", result.Output)
                : ActionResult.Failed($"({vm})$ {command} exited with {result.ExitCode}", result.Output);
        }
        catch (GuestCommandException e)
        {
            return ActionResult.Failed(e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    /// <summary>Creates a VM from a form's strings (empty MAC: a new one is generated) and starts it.</summary>
    public async Task<ActionResult> CreateVmAsync(string lab, NewVmRequest request, CancellationToken cancellationToken = default)
    {
        var current = engine.Store.TryReadDefinition(lab);
        if (current is null)
            return ActionResult.Refused([new("lab", $"there is no lab named '{lab}'")]);
        var problems = new List<LabFileProblem>();
        void Check(string field, string? value, Func<string?, string?> rule)
        {
            if (LabFileProblem.Check(field, value, rule) is { } problem) problems.Add(problem);
        }
        Check("name", request.Name, InputRules.CheckVmName);
        Check("tap", request.Tap, InputRules.CheckInterfaceName);
        var mac = string.IsNullOrWhiteSpace(request.Mac) ? LabFileLoader.NewMac(current).ToString() : request.Mac.Trim();
        Check("mac", mac, InputRules.CheckMac);
        if (!string.IsNullOrEmpty(request.Address)) Check("address", request.Address, InputRules.CheckInterfaceAddress);
        if (!string.IsNullOrEmpty(request.Gateway)) Check("gateway", request.Gateway, InputRules.CheckIpv4);
        var image = string.IsNullOrWhiteSpace(request.Image) ? VmDefinition.BuiltinImage : request.Image.Trim();
        if (image != VmDefinition.BuiltinImage && DiskImage.Problem(image) is { } imageProblem) problems.Add(new("image", imageProblem));
        if (request.MemoryMb is < 64 or > 8192) problems.Add(new("memory", "memory is in MiB, between 64 and 8192"));
        if (request.Nic is not ("e1000" or "virtio-net")) problems.Add(new("nic", $"'{request.Nic}' is not e1000 or virtio-net"));
        if (problems.Count > 0) return ActionResult.Refused(problems);

        var vm = new VmDefinition
        {
            Name = request.Name!,
            Mac = MacAddress.Parse(mac),
            Tap = request.Tap!,
            Nic = request.Nic == "virtio-net" ? NicModel.VirtioNet : NicModel.E1000,
            MemoryMb = request.MemoryMb,
            Image = image,
            Address = string.IsNullOrEmpty(request.Address) ? null : InterfaceAddress.Parse(request.Address),
            Gateway = string.IsNullOrEmpty(request.Gateway) ? null : IPAddress.Parse(request.Gateway),
        };
        try
        {
            var status = await engine.AddVmAsync(lab, vm, cancellationToken);
            return ActionResult.Ok($"{vm.Name} ({vm.Mac} on {vm.Tap}) is {status.State.ToString().ToLowerInvariant()}");
        }
        catch (LabFileException e)
        {
            // The lab file refuses it as a whole (a duplicate name, tap or MAC): say which field.
            return ActionResult.Refused(e.Problems.Select(p => p with { Field = FormFieldOf(p) }).ToList());
        }
        catch (Exception e) when (e is HostCommandException or GuestCommandException)
        {
            return ActionResult.Failed(e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
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
        if (problems.Count > 0) return ActionResult.Refused(problems);
        var result = await ExecAsync(lab, vm, GuestSetup.IfconfigCommand(InterfaceAddress.Parse(address)), cancellationToken);
        if (!result.Succeeded || string.IsNullOrEmpty(gateway)) return result;
        return await ExecAsync(lab, vm, $"route add -net 0.0.0.0/0 gw {gateway}", cancellationToken);
    }

    /// <summary>One ping from a VM (by name) or from the external PC ("pc") or the host ("host").</summary>
    public async Task<ActionResult> PingAsync(string lab, string from, string target, CancellationToken cancellationToken = default)
    {
        if (InputRules.CheckIpv4(target) is { } problem)
            return ActionResult.Refused([new("target", problem)]);
        if (from is "pc" or "host" or "wan")
        {
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
        }
        var result = await ExecAsync(lab, from, $"ping -c 1 -W 2 {target}", cancellationToken);
        return result.Succeeded ? result with { Message = $"{result.Message}: reply received" } : result;
    }

    /// <summary>
    /// What the lab file wants that the kernel lacks (the planner's steps for this snapshot), as tutorial lines.
    /// A lesson lab is compared with its starting point, so the lesson's own steps are not drift.
    /// </summary>
    public IReadOnlyList<string> DriftOf(string lab, LabDefinition? definition, Topology topology)
    {
        if (definition is null || topology.Namespaces.All(n => !n.Exists)) return [];
        var record = engine.Store.Read(lab);
        if (record?.AsLesson == true)
            definition = Lab.Lessons.LessonStart.From(definition);
        var plan = LabPlanner.Plan(definition, topology, engine.IsInternetServerRunning(lab), engine.Store.WebRootOf(lab));
        var who = new LabNamespaces(lab);
        return plan.Operations
            .Select(op => $"({who.RoleOf(op.Namespace)?.ToString().ToLowerInvariant() ?? "host"})$ {op.Tutorial}")
            .ToList();
    }

    /// <summary>Applies the lab's own file again: what drifted away comes back, nothing else runs.</summary>
    public async Task<ActionResult> ReapplyAsync(string lab, CancellationToken cancellationToken = default)
    {
        if (DefinitionOf(lab) is not { } definition)
            return ActionResult.Refused([new("lab", $"there is no lab named '{lab}'")]);
        try
        {
            var result = await engine.ApplyAsync(definition, await File.ReadAllTextAsync(engine.Store.DefinitionPathOf(lab), cancellationToken), null,
                cancellationToken: cancellationToken);
            return ActionResult.Ok(result.Ran.Count == 0 ? "nothing was missing" : $"{result.Ran.Count} commands ran");
        }
        catch (Exception e) when (e is HostCommandException or GuestCommandException or LabFileException)
        {
            return ActionResult.Failed(e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    /// <summary>The lab file as the app holds it now, or null.</summary>
    public LabDefinition? DefinitionOf(string lab) => engine.Store.TryReadDefinition(lab);

    private VmDefinition? FindVm(string lab, string vm) => DefinitionOf(lab)?.Vm(vm);
}

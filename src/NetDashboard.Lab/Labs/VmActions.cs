using NetDashboard.Lab.Runtime;
using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Labs;

/// <summary>
/// A lab's VMs: start, stop and restart, commands in a guest, a guest's address and
/// route, and new VMs (validated, started, their tap put in its bridge). Every face reaches it through the lab service.
/// </summary>
public sealed class VmActions(LabEngine engine, LabRuntimeStore store, VmSupervisor vms, TopologyReader reader, ActionRunner act,
    LabServiceOptions options)
{
    /// <summary>
    /// Starts, stops or restarts a VM. After a start the lab file's ports and addresses for its tap apply again and the
    /// guest is configured, whoever asked: the UI, the API and the CLI get the same reconcile.
    /// </summary>
    public async Task<ActionResult> VmAsync(string lab, string vm, VmVerb verb, CancellationToken cancellationToken)
    {
        if (FindVm(lab, vm, out var definition) is { } missing) return missing;
        return await act.RunAsync(lab, async () =>
        {
            if (verb != VmVerb.Start && vms.StatusOf(lab, definition).IsUp)
                await engine.RememberTapAsync(lab, definition, cancellationToken);
            VmStatus status;
            // The lock covers QEMU's start or stop; the reconcile after it takes the lock itself.
            using (await store.LockAsync(lab, cancellationToken))
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
                await engine.ReconcileVmAsync(store.TryReadDefinition(lab)!, definition, cancellationToken);
                status = vms.StatusOf(lab, definition);
            }
            return ActionResult.Ok($"{vm} is {status.State.ToString().ToLowerInvariant()}{(status.Pid is { } pid ? $" (pid {pid})" : "")}");
        });
    }

    /// <summary>
    /// Runs one command line in a built-in guest, checked here for every face. A probe (a ping, a trace's request;
    /// <paramref name="replayable"/> false) is journaled but never replayed by a rebuild script: it asks, it builds nothing.
    /// </summary>
    public async Task<GuestCommandOutcome> RunInGuestAsync(string lab, string vm, string? command, TimeSpan? timeout, bool replayable,
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
        string? notRun = null;
        return await act.RunAsync<GuestCommandOutcome>(lab, async () =>
        {
            var result = await vms.ExecAsync(lab, definition, command!, wait, replayable, cancellationToken);
            return new GuestCommandOutcome(result.Succeeded
                ? ActionResult.Ok($"({vm})$ {command}", result.Output)
                : ActionResult.Failed($"({vm})$ {command} exited with {result.ExitCode}", result.Output), result);
        }, failed => new GuestCommandOutcome(failed, null, notRun), explain: e =>
        {
            notRun = e.Message;
            var sentence = $"({vm})$ {command} did not run: {e.Message}";
            return e is LabLimitException ? ActionResult.TooMany(sentence) : ActionResult.Failed(sentence);
        });
    }

    /// <summary>What a new VM of the lab gets for each field left out (see <see cref="LabSuggestions"/>); null when there is no such lab.</summary>
    public async Task<NewVmRequest?> SuggestAsync(string lab, CancellationToken cancellationToken) =>
        InputRules.CheckLabName(lab) is null && store.TryReadDefinition(lab) is { } current
            ? LabSuggestions.Vm(current, await reader.ReadAsync(lab, cancellationToken))
            : null;

    /// <summary>
    /// Creates a VM from a form's strings, starts it, puts its tap up in its bridge and configures the guest; a field
    /// left out (null) takes the suggestion, an empty MAC is generated.
    /// </summary>
    public async Task<ActionResult> CreateAsync(string lab, NewVmRequest request, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        if (store.TryReadDefinition(lab) is not { } current) return ActionResult.NoSuchLab(lab);
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
        else if (LabSuggestions.Bridges(current, kernel) is var bridges && !bridges.Contains(bridge!))
            problems.Add(new("bridge", $"lab {lab} has no bridge named '{bridge}' (it has: {(bridges.Count == 0 ? "none" : string.Join(", ", bridges))}); "
                + $"give one of them or \"{LabSuggestions.None}\""));
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
        return await act.RunAsync(lab, async () =>
        {
            var status = await engine.AddVmAsync(lab, vm, bridge, cancellationToken);
            return ActionResult.Ok($"{vm.Name} ({vm.Mac} on {vm.Tap}{(bridge is null ? "" : $" in {bridge}")}) is {status.State.ToString().ToLowerInvariant()}");
        },
            // The lab file refuses it as a whole (a duplicate name, tap or MAC): say which field.
            explain: e => e is LabFileException file ? ActionResult.Refused(file.Problems.Select(p => p with { Field = FormFieldOf(p) }).ToList()) : null);
    }

    private static string? NoneAsEmpty(string? value) => value?.Trim(' ') is LabSuggestions.None ? "" : value?.Trim(' ');

    private static string FormFieldOf(LabFileProblem problem) =>
        problem.Field.EndsWith(".mac", StringComparison.Ordinal) || problem.Message.Contains("share MAC", StringComparison.Ordinal) ? "mac"
        : problem.Field.EndsWith(".tap", StringComparison.Ordinal) || problem.Message.Contains("tap", StringComparison.Ordinal) ? "tap"
        : problem.Field.EndsWith(".name", StringComparison.Ordinal) || problem.Message.Contains("are named", StringComparison.Ordinal) ? "name"
        : problem.Field;

    /// <summary>Gives a guest its eth0 address and default gateway with the tutorial's commands.</summary>
    public async Task<ActionResult> ConfigureGuestAsync(string lab, string vm, string address, string? gateway, CancellationToken cancellationToken)
    {
        var problems = new List<LabFileProblem>();
        if (InputRules.CheckInterfaceAddress(address) is { } addressProblem) problems.Add(new("address", addressProblem));
        if (!string.IsNullOrEmpty(gateway) && InputRules.CheckIpv4(gateway) is { } gatewayProblem) problems.Add(new("gateway", gatewayProblem));
        if (problems.Count == 0 && GatewayProblem(address, gateway) is { } outside) problems.Add(outside);
        if (problems.Count > 0) return ActionResult.Refused(problems);
        var result = (await RunInGuestAsync(lab, vm, GuestSetup.IfconfigCommand(InterfaceAddress.Parse(address)), null, replayable: true, cancellationToken)).Result;
        if (!result.Succeeded || string.IsNullOrEmpty(gateway)) return result;
        return (await RunInGuestAsync(lab, vm, $"route add -net 0.0.0.0/0 gw {gateway}", null, replayable: true, cancellationToken)).Result;
    }

    private static LabFileProblem? GatewayProblem(string? address, string? gateway) =>
        InterfaceAddress.TryParse(address, out var parsed) && InputRules.CheckIpv4(gateway) is null
            ? InputRules.CheckGatewayInSubnet(parsed, IPAddress.Parse(gateway!)) is { } problem ? new LabFileProblem("gateway", problem) : null
            : null;

    public ActionResult? FindVm(string lab, string vm, out VmDefinition definition)
    {
        definition = null!;
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        // A value that can never name a VM is refused as such, not looked up as one that is missing.
        if (LabFileProblem.Check("vm", vm, InputRules.CheckVmName) is { } badVm) return ActionResult.Refused([badVm]);
        if (store.TryReadDefinition(lab) is not { } labDefinition) return ActionResult.NoSuchLab(lab);
        if (labDefinition.Vm(vm) is not { } found) return ActionResult.NotFound(labDefinition.NoSuchVm(vm));
        definition = found;
        return null;
    }
}

using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Labs;

/// <summary>
/// Applies lab files, runs single operations and tears labs down. Every command goes through the
/// <see cref="OperationRunner"/>, which journals it exactly as run.
/// </summary>
public sealed class LabEngine(OperationRunner operations, TopologyReader reader, LabRuntimeStore store, VmSupervisor vms, LabServiceOptions options)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Brings the kernel and the VMs to what the lab file wants; running it again on a complete lab runs nothing.
    /// Order: the world and bridges, then the VMs (QEMU creates their taps), then the taps' ports and addresses,
    /// then each guest's address and route, set inside the guest as the tutorial does. Guests are waited for when
    /// they have something to configure, or always with <paramref name="waitForVms"/>.
    /// </summary>
    public async Task<ApplyResult> ApplyAsync(LabDefinition lab, string labFileYaml, string? sourceFile,
        IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default, bool waitForVms = false, bool asLesson = false)
    {
        var ran = new List<JournalEntry>();
        void Report(string name, JournalEntry entry)
        {
            if (name != lab.Name) return;
            lock (ran) ran.Add(entry);
            progress?.Report(entry);
        }
        // Before the lock, which makes the runtime folder: a refused lab leaves no file behind.
        if (await LabPreflight.ProblemsAsync(lab, reader, vms, cancellationToken) is { Count: > 0 } problems)
            throw new LabFileException($"lab {lab.Name}", problems);
        operations.Journaled += Report;
        try
        {
            using var _ = await store.LockAsync(lab.Name, cancellationToken);
            var record = store.Update(lab.Name, r => r with { SourceFile = sourceFile ?? r.SourceFile, AsLesson = asLesson || r.AsLesson });
            store.SaveDefinition(lab.Name, labFileYaml);
            if (record.AsLesson)
                lab = Lessons.LessonStart.From(lab);
            var webRoot = EnsureWebRoot(lab);

            var plan = await PlanAndRunAsync(lab, webRoot, record.AsLesson, cancellationToken);
            var started = new List<VmDefinition>();
            foreach (var vm in lab.Vms.Where(vm => !vms.StatusOf(lab.Name, vm).IsUp))
            {
                await vms.StartAsync(lab.Name, vm, cancellationToken);
                started.Add(vm);
            }
            if (started.Count > 0)
                plan = await PlanAndRunAsync(lab, webRoot, record.AsLesson, cancellationToken);

            foreach (var vm in lab.Vms.Where(vm => vm.IsBuiltin && (waitForVms || vm.Address is not null || vm.Gateway is not null)))
            {
                await vms.WaitReadyAsync(lab.Name, vm, options.ReadyTimeout, cancellationToken);
                await ConfigureGuestAsync(lab.Name, vm, cancellationToken);
            }
            foreach (var vm in lab.Vms.Where(vm => !vm.IsBuiltin && waitForVms))
                await vms.WaitReadyAsync(lab.Name, vm, options.ReadyTimeout, cancellationToken);
            lock (ran) return new ApplyResult(lab.Name, ran.ToList(), plan.Pending);
        }
        finally
        {
            operations.Journaled -= Report;
        }
    }

    /// <summary>
    /// After one VM (re)started: its tap joins its bridge and gets its addresses as the lab file says, then goes back
    /// where it sat in the kernel before the VM stopped (a lesson's learner put it there), and the guest is
    /// configured; other VMs are left as they are (one stopped on purpose stays stopped). In a lesson lab the guest
    /// is configured only as <paramref name="guestAsGiven"/> says (a VM created with an address), never by the file.
    /// </summary>
    public async Task ReconcileVmAsync(LabDefinition lab, VmDefinition vm, CancellationToken cancellationToken = default, bool guestAsGiven = false)
    {
        var asLesson = store.Read(lab.Name)?.AsLesson == true;
        if (asLesson)
        {
            lab = Lessons.LessonStart.From(lab);
            if (!guestAsGiven)
                vm = lab.Vms.Single(v => v.Name == vm.Name);
        }
        using (await store.LockAsync(lab.Name, cancellationToken))
        {
            await PlanAndRunAsync(lab, store.WebRootOf(lab.Name), asLesson, cancellationToken);
            await RestoreTapAsync(lab.Name, vm, cancellationToken);
        }
        if (vm.IsBuiltin)
        {
            await vms.WaitReadyAsync(lab.Name, vm, options.ReadyTimeout, cancellationToken);
            await ConfigureGuestAsync(lab.Name, vm, cancellationToken);
        }
    }

    /// <summary>Remembers where a VM's tap sits in the kernel (bridge, up, addresses) before its QEMU stops and takes the tap with it.</summary>
    public async Task RememberTapAsync(string lab, VmDefinition vm, CancellationToken cancellationToken = default)
    {
        var host = (await reader.ReadAsync(lab, cancellationToken)).Find(NamespaceRole.Host);
        if (host?.Link(vm.Tap) is not { } tap) return;
        var placement = new TapPlacement(tap.Master, tap.AdminUp,
            tap.Addresses.Where(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(a => a.ToString()).ToList(),
            tap.Master is { } master ? host.Link(master)?.Mac : null);
        store.Update(lab, r => r with { TapPlacements = new Dictionary<string, TapPlacement>(r.TapPlacements) { [vm.Tap] = placement } });
    }

    // What RememberTapAsync saw comes back on the new tap; what is already there is left alone.
    private async Task RestoreTapAsync(string lab, VmDefinition vm, CancellationToken cancellationToken)
    {
        if (store.Read(lab)?.TapPlacements.GetValueOrDefault(vm.Tap) is not { } placement) return;
        var host = (await reader.ReadAsync(lab, cancellationToken)).Find(NamespaceRole.Host);
        if (host?.Link(vm.Tap) is not { } tap) return;
        if (placement.Master is { } master && host.Link(master)?.Kind == "bridge" && tap.Master != master)
        {
            await RunAsync(lab, new AddBridgePort(host.Name, master, vm.Tap), cancellationToken);
            // A bridge takes the lowest MAC of its ports unless one was set: the new tap's random MAC may change it, and
            // the guests' ARP caches would then point their gateway at a MAC nobody has. Keep the one they know.
            var after = (await reader.ReadAsync(lab, cancellationToken)).Find(NamespaceRole.Host)?.Link(master)?.Mac;
            if (placement.MasterMac is { } mac && after is not null && !string.Equals(after, mac, StringComparison.OrdinalIgnoreCase))
                await RunAsync(lab, new SetLinkAddress(host.Name, master, mac), cancellationToken);
        }
        foreach (var address in placement.Addresses.Select(InterfaceAddress.Parse).Where(a => !tap.Addresses.Contains(a)))
            await RunAsync(lab, new AddAddress(host.Name, vm.Tap, address), cancellationToken);
        if (placement.Up && !tap.AdminUp)
            await RunAsync(lab, new SetLinkState(host.Name, vm.Tap, true), cancellationToken);
    }

    /// <summary>
    /// Adds a VM to the lab's file and starts it; its tap joins <paramref name="bridge"/> (when given) and comes up, and
    /// the guest is configured. The whole file is validated again first, so a duplicate name, tap or MAC is refused with
    /// the same message as in a lab file, and nothing runs. A bridge of the lab file gets the tap as a port there too,
    /// so a later apply or restart puts it back.
    /// </summary>
    public async Task<VmStatus> AddVmAsync(string lab, VmDefinition vm, string? bridge, CancellationToken cancellationToken = default)
    {
        var current = store.ReadDefinition(lab)
            ?? throw new LabFileException(lab, [new LabFileProblem("lab", $"there is no lab named '{lab}'")]);
        var bridges = current.Host.Bridges
            .Select(b => b.Name == bridge && !b.Ports.Contains(vm.Tap) ? b with { Ports = [.. b.Ports, vm.Tap] } : b)
            .ToList();
        var yaml = LabFileLoader.ToYaml(current with { Host = current.Host with { Bridges = bridges }, Vms = [.. current.Vms, vm] });
        var updated = LabFileLoader.Parse(yaml, $"lab {lab}", lab);
        store.SaveDefinition(lab, yaml);
        await vms.StartAsync(lab, vm, cancellationToken);
        if (bridge is not null)
        {
            using (await store.LockAsync(lab, cancellationToken))
                await JoinBridgeAsync(lab, vm.Tap, bridge, cancellationToken);
        }
        await ReconcileVmAsync(updated, vm, cancellationToken, guestAsGiven: true);
        return vms.StatusOf(lab, vm);
    }

    // A lesson lab's file keeps its bridges for later steps, and a bridge made from the inspector is in no file:
    // the new tap is put in the kernel's bridge directly (brctl addif, ifconfig up), journaled as any step.
    private async Task JoinBridgeAsync(string lab, string tap, string bridge, CancellationToken cancellationToken)
    {
        var host = (await reader.ReadAsync(lab, cancellationToken)).Host;
        if (host.Link(bridge)?.Kind != "bridge")
            await RunAsync(lab, new CreateBridge(host.Name, bridge), cancellationToken);
        if (host.Link(tap)?.Master != bridge)
            await RunAsync(lab, new AddBridgePort(host.Name, bridge, tap), cancellationToken);
        if (host.Link(tap)?.AdminUp != true)
            await RunAsync(lab, new SetLinkState(host.Name, tap, true), cancellationToken);
        if (host.Link(bridge)?.AdminUp != true)
            await RunAsync(lab, new SetLinkState(host.Name, bridge, true), cancellationToken);
    }

    // A lesson lab is the learner's: the app builds its world and VMs but keeps forwarding as the learner left it,
    // so nothing it does on its own (apply, VM restart, VM creation) undoes a lesson step.
    private async Task<LabPlan> PlanAndRunAsync(LabDefinition lab, string webRoot, bool asLesson, CancellationToken cancellationToken)
    {
        var actual = await reader.ReadAsync(lab.Name, cancellationToken);
        if (asLesson)
            lab = lab with { Host = lab.Host with { Forwarding = actual.Find(NamespaceRole.Host)?.Forwarding ?? false } };
        var serverRuns = IsInternetServerRunning(lab.Name);
        // Started by a change that was killed before it recorded the pid: adopted, or a second one would find the port taken.
        if (!serverRuns && actual.Find(NamespaceRole.Wan) is not null
            && await FindInternetServerPidAsync(lab.Namespaces.Wan, cancellationToken) is { } unrecorded && ProcessTable.IsRunningAs(unrecorded, "busybox"))
        {
            store.Update(lab.Name, r => r with { InternetServerPid = unrecorded });
            serverRuns = true;
        }
        var plan = LabPlanner.Plan(lab, actual, serverRuns, webRoot);
        foreach (var step in OperationSteps.Of(plan.Operations))
        {
            await operations.RunStepAsync(lab.Name, step, cancellationToken);
            if (step is [StartInternetServer])
            {
                var pid = await FindInternetServerPidAsync(lab.Namespaces.Wan, cancellationToken);
                store.Update(lab.Name, r => r with { InternetServerPid = pid });
            }
        }
        return plan;
    }

    /// <summary>Sets the guest's eth0 address and default route with the tutorial's own commands, when the guest lacks them.</summary>
    private async Task ConfigureGuestAsync(string lab, VmDefinition vm, CancellationToken cancellationToken)
    {
        var state = await GuestAgentClient.RunAsync(store.PathsOf(lab, vm.Name).Agent, "ip addr show dev eth0; ip route show", options.GuestCommandTimeout, cancellationToken);
        foreach (var command in GuestSetup.CommandsFor(vm, state.Output))
        {
            var result = await vms.ExecAsync(lab, vm, command, options.GuestCommandTimeout, cancellationToken: cancellationToken);
            if (!result.Succeeded)
                throw new GuestCommandException($"({vm.Name})$ {command} failed with exit code {result.ExitCode}: {result.Output.Trim()}");
        }
    }

    /// <summary>Runs one operation on a lab, journals it, and throws <see cref="HostCommandException"/> when it fails.</summary>
    public Task<JournalEntry> RunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default) =>
        operations.RunAsync(lab, operation, cancellationToken);

    /// <summary>
    /// Removes every namespace, process and runtime file of a lab the app owns (it has a record in this runtime folder).
    /// A lab without one is foreign — made by hand, or by a dashboard on another runtime folder — and is removed only
    /// when <paramref name="foreign"/> says so.
    /// </summary>
    public async Task<DownOutcome> DownAsync(string lab, IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default,
        bool foreign = false)
    {
        var names = new LabNamespaces(lab);
        var owned = store.Read(lab) is not null;
        var existing = (await reader.ListNamespacesAsync(cancellationToken)).Where(names.All.Contains).ToList();
        if (!owned && existing.Count == 0 && !Directory.Exists(store.FolderOf(lab)))
            return DownOutcome.NothingThere;
        if (!owned && existing.Count > 0 && !foreign)
            return DownOutcome.Foreign;

        using (await store.LockAsync(lab, cancellationToken))
        {
            vms.Forget(lab);
            // Nothing of the teardown is written to the runtime folder it deletes: removing a lab needs no new space.
            foreach (var vm in store.Read(lab)?.Vms.Keys ?? [])
                await vms.StopAsync(lab, vm, cancellationToken, tearingDown: true);
            foreach (var ns in existing)
            {
                foreach (var entry in await StopProcessesAsync(lab, ns, cancellationToken))
                    progress?.Report(entry);
            }
            foreach (var ns in existing)
            {
                // Not progress?.Report(await …): a null progress would skip the call inside it.
                var entry = await operations.RunAsync(lab, new DeleteNamespace(ns), cancellationToken, journaled: false);
                progress?.Report(entry);
            }
        }
        store.Delete(lab);
        return DownOutcome.Removed;
    }

    /// <summary>Labs the app owns (runtime folder) plus labs whose three namespaces exist without one.</summary>
    public async Task<IReadOnlyList<string>> ListLabsAsync(CancellationToken cancellationToken = default) =>
        ListLabs(await reader.ListNamespacesAsync(cancellationToken));

    /// <summary>The same, from a list of namespaces already read.</summary>
    public IReadOnlyList<string> ListLabs(IReadOnlyList<string> namespaces)
    {
        var owned = store.ListLabs();
        var orphans = namespaces
            .Where(n => n.StartsWith(LabNamespaces.Prefix, StringComparison.Ordinal) && n.EndsWith("-host", StringComparison.Ordinal))
            .Select(n => n[LabNamespaces.Prefix.Length..^"-host".Length])
            .Where(lab => InputRules.CheckLabName(lab) is null && new LabNamespaces(lab).All.All(namespaces.Contains));
        return owned.Union(orphans).Order(StringComparer.Ordinal).ToList();
    }

    // Every process in a lab's namespace was started by the lab (the namespace is the lab's own), so each is stopped by its pid.
    private async Task<IReadOnlyList<JournalEntry>> StopProcessesAsync(string lab, string ns, CancellationToken cancellationToken)
    {
        var entries = new List<JournalEntry>();
        var pids = await reader.ReadPidsAsync(ns, cancellationToken);
        var exited = Task.WhenAll(pids.Select(pid => ProcessExit.WaitAsync(pid, cancellationToken)));
        foreach (var pid in pids)
            entries.Add(await StopAsync(lab, new StopProcess(ns, pid, Force: false), cancellationToken));
        await Task.WhenAny(exited, Task.Delay(StopGrace, cancellationToken));
        foreach (var pid in pids.Where(ProcessTable.IsRunning))
            entries.Add(await StopAsync(lab, new StopProcess(ns, pid, Force: true), cancellationToken));
        return entries;
    }

    // A process may exit by itself between listing and kill; that is not a failure of the teardown.
    private async Task<JournalEntry> StopAsync(string lab, StopProcess stop, CancellationToken cancellationToken)
    {
        var entry = await operations.TryRunAsync(lab, stop, cancellationToken, journaled: false);
        return entry.Succeeded || !ProcessTable.IsRunning(stop.Pid)
            ? entry
            : throw new HostCommandException(CommandBuilder.Build(stop), entry.ExitCode, entry.StandardError);
    }

    /// <summary>Whether the wan's internet server the record names still runs (read from /proc: no process to spawn).</summary>
    public bool IsInternetServerRunning(string lab) =>
        store.Read(lab)?.InternetServerPid is { } pid && ProcessTable.IsRunningAs(pid, "busybox");

    private async Task<int?> FindInternetServerPidAsync(string wan, CancellationToken cancellationToken)
    {
        // busybox httpd forks into the background; the wan namespace holds no other process of ours.
        var pids = await reader.ReadPidsAsync(wan, cancellationToken);
        return pids.Count > 0 ? pids.Max() : null;
    }

    private string EnsureWebRoot(LabDefinition lab)
    {
        var webRoot = RuntimeFile.CreateFolder(store.WebRootOf(lab.Name));
        RuntimeFile.Write(Path.Combine(webRoot, "index.html"),
            InternetServerPage.For(lab.World.InternetServer, lab.Name) + "\n", append: false);
        return webRoot;
    }
}

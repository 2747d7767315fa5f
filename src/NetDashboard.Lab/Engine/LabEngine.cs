using System.Diagnostics;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Engine;

/// <summary>What applying a lab file did: the steps run and what waits for a VM.</summary>
public sealed record ApplyResult(string Lab, IReadOnlyList<JournalEntry> Ran, IReadOnlyList<string> Pending);

/// <summary>
/// Applies lab files, runs single operations and tears labs down. Every command goes through
/// <see cref="RunAsync(string, LabOperation, CancellationToken)"/>, which journals it exactly as run.
/// </summary>
public sealed class LabEngine(HostRunner runner, TopologyReader reader, LabRuntimeStore store)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    public LabRuntimeStore Store => store;
    public TopologyReader Reader => reader;

    /// <summary>Brings the kernel to what the lab file wants; running it again on a complete lab runs nothing.</summary>
    public async Task<ApplyResult> ApplyAsync(LabDefinition lab, string labFileYaml, string? sourceFile,
        IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default)
    {
        using var _ = store.Lock(lab.Name);
        var record = store.Read(lab.Name) ?? new LabRecord { Name = lab.Name, CreatedAt = DateTimeOffset.UtcNow, SourceFile = sourceFile };
        store.Write(record);
        store.SaveDefinition(lab.Name, labFileYaml);
        var webRoot = EnsureWebRoot(lab);

        var actual = await reader.ReadAsync(lab.Name, cancellationToken);
        var serverRunning = await IsInternetServerRunningAsync(lab, record, actual, cancellationToken);
        var plan = LabPlanner.Plan(lab, actual, serverRunning, webRoot);
        var ran = new List<JournalEntry>();
        foreach (var operation in plan.Operations)
        {
            var entry = await RunAsync(lab.Name, operation, cancellationToken);
            ran.Add(entry);
            progress?.Report(entry);
            if (operation is StartInternetServer)
                record = record with { InternetServerPid = await FindInternetServerPidAsync(lab.Namespaces.Wan, cancellationToken) };
        }
        store.Write(record);
        return new ApplyResult(lab.Name, ran, plan.Pending);
    }

    /// <summary>Runs one operation on a lab, journals it, and throws <see cref="HostCommandException"/> when it fails.</summary>
    public async Task<JournalEntry> RunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default)
    {
        var command = CommandBuilder.Build(operation);
        var result = await runner.RunAsync(command, cancellationToken);
        var entry = new JournalEntry
        {
            Time = DateTimeOffset.UtcNow,
            Who = new LabNamespaces(lab).RoleOf(operation.Namespace)?.ToString().ToLowerInvariant() ?? "host",
            Namespace = operation.Namespace,
            Argv = command.Argv,
            Tutorial = operation.Tutorial,
            ExitCode = result.ExitCode,
            StandardError = result.StandardError.Trim(),
            DurationMs = result.Duration.TotalMilliseconds,
            Replayable = operation.Replayable,
        };
        // A lab's journal lives in its runtime folder, which is gone once the lab is torn down.
        if (operation is not DeleteNamespace)
            store.JournalOf(lab).Append(entry);
        if (!result.Succeeded)
            throw new HostCommandException(command, result.ExitCode, result.StandardError);
        return entry;
    }

    /// <summary>Removes every namespace, process and runtime file of a lab. Returns false when there was nothing to remove.</summary>
    public async Task<bool> DownAsync(string lab, IProgress<JournalEntry>? progress = null, CancellationToken cancellationToken = default)
    {
        var names = new LabNamespaces(lab);
        var owned = store.Read(lab) is not null;
        var existing = (await reader.ListNamespacesAsync(cancellationToken)).Where(names.All.Contains).ToList();
        if (!owned && existing.Count == 0 && !Directory.Exists(store.FolderOf(lab)))
            return false;

        using (store.Lock(lab))
        {
            foreach (var ns in existing)
            {
                foreach (var entry in await StopProcessesAsync(lab, ns, cancellationToken))
                    progress?.Report(entry);
            }
            foreach (var ns in existing)
            {
                // Not progress?.Report(await …): a null progress would skip the call inside it.
                var entry = await RunAsync(lab, new DeleteNamespace(ns), cancellationToken);
                progress?.Report(entry);
            }
        }
        store.Delete(lab);
        return true;
    }

    /// <summary>Labs the app owns (runtime folder) plus labs whose three namespaces exist without one.</summary>
    public async Task<IReadOnlyList<string>> ListLabsAsync(CancellationToken cancellationToken = default)
    {
        var owned = store.ListLabs();
        var namespaces = await reader.ListNamespacesAsync(cancellationToken);
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
        foreach (var pid in pids)
            entries.Add(await RunTolerantAsync(lab, new StopProcess(ns, pid, Force: false), cancellationToken));
        var deadline = Stopwatch.GetTimestamp() + (long)(StopGrace.TotalSeconds * Stopwatch.Frequency);
        while (pids.Any(ProcessTable.IsRunning) && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(20, cancellationToken);
        foreach (var pid in pids.Where(ProcessTable.IsRunning))
            entries.Add(await RunTolerantAsync(lab, new StopProcess(ns, pid, Force: true), cancellationToken));
        return entries;
    }

    // A process may exit by itself between listing and kill; that is not a failure of the teardown.
    private async Task<JournalEntry> RunTolerantAsync(string lab, LabOperation operation, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(lab, operation, cancellationToken);
        }
        catch (HostCommandException) when (operation is StopProcess stop && !ProcessTable.IsRunning(stop.Pid))
        {
            return store.JournalOf(lab).ReadAll().Last();
        }
    }

    private async Task<bool> IsInternetServerRunningAsync(LabDefinition lab, LabRecord record, Topology actual, CancellationToken cancellationToken) =>
        record.InternetServerPid is { } pid
        && actual.Find(NamespaceRole.Wan)?.Exists == true
        && (await reader.ReadPidsAsync(lab.Namespaces.Wan, cancellationToken)).Contains(pid);

    private async Task<int?> FindInternetServerPidAsync(string wan, CancellationToken cancellationToken)
    {
        // busybox httpd forks into the background; the wan namespace holds no other process of ours.
        var pids = await reader.ReadPidsAsync(wan, cancellationToken);
        return pids.Count > 0 ? pids.Max() : null;
    }

    private string EnsureWebRoot(LabDefinition lab)
    {
        var webRoot = store.WebRootOf(lab.Name);
        Directory.CreateDirectory(webRoot);
        File.WriteAllText(Path.Combine(webRoot, "index.html"),
            $"<!doctype html><title>internet server</title><p>Hello from the internet server {lab.World.InternetServer} of lab {lab.Name}.</p>\n");
        return webRoot;
    }
}

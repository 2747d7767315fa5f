using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Engine;

/// <summary>Runs operations and journals each exactly as run; the one way a change reaches the host.</summary>
public sealed class OperationRunner(HostRunner runner, LabRuntimeStore store)
{
    public LabRuntimeStore Store => store;

    /// <summary>Raised for every journaled entry of any lab, in the process that ran it.</summary>
    public event Action<string, JournalEntry>? Journaled;

    /// <summary>Runs one operation, journals it, and throws <see cref="HostCommandException"/> when it fails.</summary>
    public async Task<JournalEntry> RunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default)
    {
        var entry = await TryRunAsync(lab, operation, cancellationToken);
        return entry.Succeeded
            ? entry
            : throw new HostCommandException(CommandBuilder.Build(operation), entry.ExitCode, entry.StandardError);
    }

    /// <summary>Runs one operation and journals it, whatever its exit code; the caller judges the result.</summary>
    public async Task<JournalEntry> TryRunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default)
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
            Remark = operation.IsRemark,
        };
        // A lab's journal lives in its runtime folder, which is gone once the lab is torn down.
        if (operation is not DeleteNamespace)
            Append(lab, entry);
        return entry;
    }

    public void Append(string lab, JournalEntry entry)
    {
        store.JournalOf(lab).Append(entry);
        Journaled?.Invoke(lab, entry);
    }
}

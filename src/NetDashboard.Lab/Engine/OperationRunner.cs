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
    /// <param name="journaled">False for a teardown's steps: see <see cref="TryRunAsync"/>.</param>
    public async Task<JournalEntry> RunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default, bool journaled = true)
    {
        var entry = await TryRunAsync(lab, operation, cancellationToken, journaled);
        return entry.Succeeded
            ? entry
            : throw new HostCommandException(CommandBuilder.Build(operation), entry.ExitCode, entry.StandardError);
    }

    /// <summary>Runs one operation and journals it, whatever its exit code; the caller judges the result.</summary>
    /// <param name="journaled">
    /// False for a teardown's steps: they are announced (<see cref="Journaled"/>) but not written, since the journal goes
    /// with the lab's runtime folder, and a full disk must not keep a lab from being removed.
    /// </param>
    public async Task<JournalEntry> TryRunAsync(string lab, LabOperation operation, CancellationToken cancellationToken = default, bool journaled = true)
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
        if (journaled)
            Append(lab, entry);
        else
            Journaled?.Invoke(lab, entry);
        return entry;
    }

    public void Append(string lab, JournalEntry entry)
    {
        store.JournalOf(lab).Append(entry);
        Journaled?.Invoke(lab, entry);
    }
}

using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Runtime;

/// <summary>Runs operations and journals each exactly as run; the one way a change reaches the host.</summary>
/// <param name="quota">What a lab's folder may hold (by default 32 MiB): the journal keeps within it.</param>
public sealed class OperationRunner(HostRunner runner, LabRuntimeStore store, LabFolderQuota? quota = null)
{
    public LabRuntimeStore Store => store;

    public LabFolderQuota Quota { get; } = quota ?? new LabFolderQuota();

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
        var entry = EntryOf(lab, operation, result.ExitCode, result.StandardError, result.Duration.TotalMilliseconds);
        if (journaled)
            Append(lab, entry);
        else
            Journaled?.Invoke(lab, entry);
        return entry;
    }

    /// <summary>
    /// Runs one step of <see cref="OperationSteps"/>: a lone operation as <see cref="RunAsync"/> does, several as one
    /// `ip -batch`. Each operation is journaled as its own command, with its own argv; ip stops at the first line
    /// that fails, so the lines after it are not journaled: they did not run. Throws <see cref="HostCommandException"/>
    /// for the failing operation.
    /// </summary>
    public async Task<IReadOnlyList<JournalEntry>> RunStepAsync(string lab, IReadOnlyList<LabOperation> step, CancellationToken cancellationToken = default)
    {
        if (step.Count == 1)
            return [await RunAsync(lab, step[0], cancellationToken)];
        var result = await runner.RunAsync(IpBatch.Command(step[0].Namespace, step.Select(op => IpBatch.LineOf(op)!).ToList()), cancellationToken);
        // One process ran them all: each line is given an equal share of its time, so durations still add up.
        var share = result.Duration.TotalMilliseconds / step.Count;
        var entries = new List<JournalEntry>();
        if (result.Succeeded)
        {
            foreach (var operation in step)
                entries.Add(EntryOf(lab, operation, 0, "", share));
            // ip does not say which line printed a warning: it is kept, on the last line, and said to be the batch's.
            if (!string.IsNullOrWhiteSpace(result.StandardError))
                entries[^1] = entries[^1] with { StandardError = $"(printed by the whole `ip -batch`) {result.StandardError.Trim()}" };
        }
        else if (IpBatch.FailedLine(result.StandardError) is { } failed && failed <= step.Count)
        {
            foreach (var operation in step.Take(failed - 1))
                entries.Add(EntryOf(lab, operation, 0, "", share));
            entries.Add(EntryOf(lab, step[failed - 1], result.ExitCode, IpBatch.MessageOf(result.StandardError), share));
        }
        else
        {
            // ip exited without naming the failing line (or could not start): which lines ran is not known, so none is
            // journaled as a success.
            var why = $"one of {step.Count} lines of `ip -n {step[0].Namespace} -batch -` failed, which one is not known; "
                + $"this one may or may not have run: {result.StandardError.Trim()}";
            foreach (var operation in step)
                entries.Add(EntryOf(lab, operation, result.ExitCode, why, share));
        }
        foreach (var entry in entries)
            Append(lab, entry);
        var failure = entries.FindIndex(e => !e.Succeeded);
        return failure < 0
            ? entries
            : throw new HostCommandException(CommandBuilder.Build(step[failure]), entries[failure].ExitCode, entries[failure].StandardError);
    }

    private static JournalEntry EntryOf(string lab, LabOperation operation, int exitCode, string standardError, double durationMs) => new()
    {
        Time = DateTimeOffset.UtcNow,
        Who = new LabNamespaces(lab).RoleOf(operation.Namespace)?.Word() ?? "host",
        Namespace = operation.Namespace,
        Argv = CommandBuilder.Build(operation).Argv,
        Tutorial = operation.Tutorial,
        ExitCode = exitCode,
        StandardError = standardError.Trim(),
        DurationMs = durationMs,
        Replayable = operation.Replayable,
        Remark = operation.IsRemark,
    };

    /// <summary>Journals an entry within the lab folder's quota (its output cut, or said not kept, when it must be).</summary>
    public void Append(string lab, JournalEntry entry)
    {
        new Journal(store.JournalOf(lab).Path, Quota).Append(entry);
        Journaled?.Invoke(lab, entry);
    }
}

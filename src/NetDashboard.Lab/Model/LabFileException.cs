namespace NetDashboard.Lab.Model;

/// <summary>One thing wrong with a lab file: where it is and which rule it breaks.</summary>
public sealed record LabFileProblem(string Field, string Message)
{
    /// <summary>The problem of a value that breaks a rule (null when it keeps it), worded the same everywhere.</summary>
    public static LabFileProblem? Check(string field, string? value, Func<string?, string?> rule) =>
        rule(value) is { } problem ? Of(field, value, problem) : null;

    /// <summary>"is required (RULE)" for a missing value, "'VALUE' is not valid: RULE" for a bad one (quoted printable and short).</summary>
    public static LabFileProblem Of(string field, string? value, string rule) =>
        new(field, value is null ? $"is required ({rule})" : $"'{Printable.Quote(value)}' is not valid: {rule}");

    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>A lab file or value that breaks a rule; nothing has run when this is thrown.</summary>
public sealed class LabFileException(string source, IReadOnlyList<LabFileProblem> problems)
    : LabException($"{source} is not a valid lab file:{Environment.NewLine}" + string.Join(Environment.NewLine, problems.Select(p => "  " + p)))
{
    public IReadOnlyList<LabFileProblem> Problems { get; } = problems;
}

/// <summary>
/// What a person can cause (a bad value, a command the kernel refused, a guest that does not answer): the one type
/// the UI, the API and the CLI catch, turned into a message; anything else is a bug and is left to crash loudly.
/// </summary>
public abstract class LabException(string message) : Exception(message);

/// <summary>
/// A limit that keeps one client from taking the dashboard's memory or a guest's time (captures of a lab, traces or
/// guest commands waiting their turn) was reached: nothing ran; the message says which limit and how to get under it.
/// </summary>
public sealed class LabLimitException(string message) : LabException(message);

namespace NetDashboard.Lab.Model;

/// <summary>One thing wrong with a lab file: where it is and which rule it breaks.</summary>
public sealed record LabFileProblem(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>A lab file or value that breaks a rule; nothing has run when this is thrown.</summary>
public sealed class LabFileException(string source, IReadOnlyList<LabFileProblem> problems)
    : Exception($"{source} is not a valid lab file:{Environment.NewLine}" + string.Join(Environment.NewLine, problems.Select(p => "  " + p)))
{
    public IReadOnlyList<LabFileProblem> Problems { get; } = problems;
}

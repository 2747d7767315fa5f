using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>A host command that failed: carries the command line, exit code and the tool's own stderr.</summary>
public sealed class HostCommandException(HostCommand command, int exitCode, string standardError)
    : LabException($"`{command}` failed with exit code {exitCode}: {(string.IsNullOrWhiteSpace(standardError) ? "(no message)" : standardError.Trim())}")
{
    public HostCommand Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string StandardError { get; } = standardError.Trim();
}

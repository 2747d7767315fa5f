using NetDashboard.Lab.Model;
using System.Globalization;
using System.Text.RegularExpressions;

namespace NetDashboard.Lab.Host;

/// <summary>
/// Several `ip -n NS …` operations run by one `ip -n NS -batch -` process, one line each on its stdin: a process spawn
/// costs more than what most of these commands do. ip stops at the first line that fails (no -force).
/// </summary>
public static partial class IpBatch
{
    /// <summary>
    /// The operation's line in a batch for its namespace: its argv after `ip -n NS`. Null when the operation is not an
    /// `ip -n NS` command, or a word would need quoting (ip's batch reader has quoting rules of its own: not relied on).
    /// </summary>
    public static string? LineOf(LabOperation operation)
    {
        var command = CommandBuilder.Build(operation);
        var args = command.Arguments;
        var plain = command.Program == CommandBuilder.Ip && args.Count > 2 && args[0] == "-n" && args[1] == operation.Namespace
            && args.All(word => Printable.ShellQuote(word) == word && !word.Contains('#'));
        return plain ? string.Join(' ', args.Skip(2)) : null;
    }

    /// <summary>`ip -n NS -batch -` with the lines on its stdin.</summary>
    public static HostCommand Command(string ns, IReadOnlyList<string> lines) =>
        new(CommandBuilder.Ip, ["-n", ns, "-batch", "-"], string.Concat(lines.Select(line => line + "\n")));

    /// <summary>
    /// The 1-based line ip names in "Command failed -:N", or null when it names none: some argument errors make ip exit
    /// at once, without saying which line.
    /// </summary>
    public static int? FailedLine(string standardError) =>
        FailedLinePattern().Match(standardError) is { Success: true } match
            ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>ip's stderr without its "Command failed" line: what the failing line itself printed.</summary>
    public static string MessageOf(string standardError) => FailedLinePattern().Replace(standardError, "").Trim();

    [GeneratedRegex(@"^Command failed -:(\d+)\r?$\n?", RegexOptions.Multiline)]
    private static partial Regex FailedLinePattern();
}

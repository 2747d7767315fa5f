using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>
/// A program and its argument list: what runs, with no shell in between. <paramref name="StandardInput"/> is fed to
/// the program's stdin (the lines of an `ip -batch -`), null for none.
/// </summary>
public sealed record HostCommand(string Program, IReadOnlyList<string> Arguments, string? StandardInput = null)
{
    public IReadOnlyList<string> Argv => [Program, .. Arguments];

    /// <summary>The program that does the work: for `ip netns exec NS qemu-system-x86_64 …` it is QEMU, not ip.</summary>
    public string Tool => Path.GetFileName(
        Path.GetFileName(Program) == "ip" && Arguments is ["netns", "exec", _, var inner, ..] ? inner : Program);

    public bool Equals(HostCommand? other) =>
        other is not null && Argv.SequenceEqual(other.Argv) && StandardInput == other.StandardInput;

    public override int GetHashCode() => HashCode.Combine(Program, Arguments.Count);

    /// <summary>The command as a person would paste it into bash, each word quoted when it needs to be.</summary>
    public override string ToString() => string.Join(' ', Argv.Select(Printable.ShellQuote));
}

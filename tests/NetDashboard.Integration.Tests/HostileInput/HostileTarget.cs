namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// Where the hostile values are sent: <see cref="Lab"/> exists (nat-pc plus <see cref="Vm"/>, whose QEMU is stopped),
/// so a refusal judges the value and is never a "no such lab"; <see cref="FreshLab"/> is a name no lab has, under
/// which lab files are sent; <see cref="ImageFolder"/> is the app's image folder, holding a FIFO, links to
/// /etc/shadow and /dev/zero and a folder; the CLI's lab files are written to <see cref="CaseFolder"/>.
/// </summary>
public sealed record HostileTarget(string Lab, string Vm, string FreshLab, string ImageFolder, string CaseFolder)
{
    /// <summary>Stands in for the real target when the test cases are listed (their ids do not depend on it).</summary>
    public static HostileTarget Placeholder { get; } = new("lab", "vm1", "fresh", "/images", "/cases");
}

using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// What one shared capture is: an interface in one of a lab's namespaces, with one kernel filter.
/// Viewers that ask for the same key share one handle; a different filter is a different capture.
/// </summary>
/// <param name="Namespace">The full namespace name, e.g. netdash-LAB-host.</param>
/// <param name="Filter">A BPF expression; empty captures everything.</param>
public sealed record CaptureKey(string Lab, string Namespace, string Interface, string Filter = "")
{
    /// <summary>
    /// The scope of observe mode's captures, in place of a lab: never a lab's name (a lab name has no '@'). Its
    /// namespace is a path: /run/netns/NAME or /proc/PID/ns/net.
    /// </summary>
    public const string ThisHost = "@host";

    /// <summary>A capture of this host (observe mode): read-only, never in promiscuous mode.</summary>
    public static CaptureKey OnThisHost(string namespacePath, string iface, string filter = "") => new(ThisHost, namespacePath, iface, filter);

    public bool IsThisHost => Lab == ThisHost;

    public static CaptureKey For(string lab, NamespaceRole role, string iface, string filter = "") =>
        new(lab, new LabNamespaces(lab).NameOf(role), iface, filter);

    /// <summary>The interface as the lab names it; null for a namespace that is not one of the lab's.</summary>
    public InterfaceRef? Ref => new LabNamespaces(Lab).RoleOf(Namespace) is { } role ? new InterfaceRef(role, Interface) : null;

    /// <summary>"host/tap0": how panes and pcapng interface blocks are named.</summary>
    public string DisplayName => IsThisHost ? Interface : Ref?.ToString() ?? $"{Namespace}/{Interface}";

    /// <summary>Every rule the key breaks, one sentence each; the filter is only compiled once these pass.</summary>
    public IReadOnlyList<string> Problems(int maxFilterLength)
    {
        var problems = new List<string>();
        if (IsThisHost)
        {
            if (!IsNamespacePath(Namespace))
                problems.Add($"namespace '{Printable.Quote(Namespace)}' is not /run/netns/NAME or /proc/PID/ns/net");
        }
        else if (InputRules.CheckLabName(Lab) is { } lab)
            problems.Add($"lab '{Lab}' is not valid: {lab}");
        else if (!new LabNamespaces(Lab).All.Contains(Namespace))
            problems.Add($"namespace '{Namespace}' is not one of lab {Lab}'s: {string.Join(", ", new LabNamespaces(Lab).All)}");
        if (InputRules.CheckInterfaceName(Interface) is { } iface)
            problems.Add($"interface '{Interface}' is not valid: {iface}");
        if (Filter is null)
            problems.Add("the filter is missing (use an empty filter to capture everything)");
        else if (Filter.Length > maxFilterLength)
            problems.Add($"the filter is {Filter.Length} characters long; at most {maxFilterLength} are allowed");
        else if (Filter.Any(char.IsControl))
            problems.Add("the filter must be one line of printable text");
        return problems;
    }

    // A path made of nothing but these shapes: no '..', no link planted elsewhere.
    private static bool IsNamespacePath(string path) =>
        InputRules.IsProcNetnsPath(path) || path.Split('/') is ["", "run", "netns", var name] && InputRules.CheckNetnsName(name) is null;

    public override string ToString() => Filter.Length == 0 ? $"{Lab}:{DisplayName}" : $"{Lab}:{DisplayName} [{Filter}]";
}

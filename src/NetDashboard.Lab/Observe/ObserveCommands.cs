using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// The only commands observe mode runs: reads, each in the namespace at a path (a /run/netns name or a process's
/// /proc/PID/ns/net, so namespaces without a name are read too). None of them changes anything.
/// </summary>
public static class ObserveCommands
{
    /// <summary>What one ip process reads of a namespace, one JSON line each, in this order (<see cref="NamespaceLines"/>).</summary>
    internal const string NamespaceBatch = "addr show\nroute show table all\nrule show\nnetconf show\nnetns list-id\n";

    /// <summary>
    /// One ip process per namespace (a host of a hundred containers is read by two hundred processes, not six hundred):
    /// its links with details, the routes of every table, the policy rules, forwarding (netconf) and the kernel's ids
    /// of the namespaces its veths lead to with their /run/netns names. A failing command ends the batch there.
    /// </summary>
    public static HostCommand Namespace(string path) => In(path, NamespaceBatch, "ip", "-j", "-d", "-batch", "-");

    public static HostCommand Ruleset(string path) => In(path, null, "nft", "list", "ruleset");

    /// <summary>
    /// The kernel's routing answer for a packet, asked and never sent (`ip route get` sends nothing and changes
    /// nothing): leaving this namespace (<paramref name="arrivedOn"/> null) or arriving on an interface from
    /// <paramref name="source"/>, which is how forwarding decides. Addresses are parsed before they reach here.
    /// </summary>
    public static HostCommand RouteGet(string path, System.Net.IPAddress destination, System.Net.IPAddress source, string? arrivedOn) =>
        arrivedOn is null
            ? In(path, null, "ip", "-j", "route", "get", destination.ToString())
            : In(path, null, "ip", "-j", "route", "get", destination.ToString(), "from", source.ToString(), "iif", arrivedOn);

    /// <summary>
    /// The kernel's change events of the observed namespace and of every namespace it has an id for (those its veths
    /// lead to): one ip that listens, and never writes.
    /// </summary>
    public static HostCommand Monitor(string path) => In(path, null, "ip", "monitor", "link", "address", "route", "netconf", "all-nsid");

    /// <summary>The namespace's neighbours (ARP and NDP), as ip prints them.</summary>
    public static HostCommand Neighbours(string path) => In(path, null, "ip", "neigh", "show");

    /// <summary>A bridge's MAC table (learned, static and permanent entries), as bridge prints it.</summary>
    public static HostCommand MacTable(string path, string bridge) => In(path, null, "bridge", "fdb", "show", "br", bridge);

    /// <summary>The connections conntrack tracks in the namespace (`conntrack -L` lists; it deletes nothing without -D).</summary>
    public static HostCommand Connections(string path) => In(path, null, "conntrack", "-L");

    private static HostCommand In(string path, string? input, params string[] argv) => new("nsenter", [$"--net={path}", "--", .. argv], input);
}

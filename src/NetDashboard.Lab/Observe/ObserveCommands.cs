using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// The only commands observe mode runs: reads, each in the namespace at a path (a /run/netns name or a process's
/// /proc/PID/ns/net, so namespaces without a name are read too). None of them changes anything.
/// </summary>
public static class ObserveCommands
{
    public static HostCommand Links(string path) => In(path, "ip", "-j", "-d", "addr", "show");
    public static HostCommand Routes(string path) => In(path, "ip", "-j", "route", "show", "table", "all");
    public static HostCommand Rules(string path) => In(path, "ip", "-j", "rule", "show");
    public static HostCommand Forwarding(string path) => In(path, "sysctl", "-n", "net.ipv4.ip_forward");
    public static HostCommand Ruleset(string path) => In(path, "nft", "list", "ruleset");
    /// <summary>The kernel's ids of the namespaces a namespace's veths lead to, with their /run/netns names.</summary>
    public static HostCommand NetnsIds(string path) => In(path, "ip", "-j", "netns", "list-id");

    private static HostCommand In(string path, params string[] argv) => new("nsenter", [$"--net={path}", "--", .. argv]);
}

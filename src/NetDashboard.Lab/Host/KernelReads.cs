using System.Net;

namespace NetDashboard.Lab.Host;

/// <summary>
/// The argv of every read of the kernel: never journaled, never changing anything. Apart from
/// <see cref="CommandBuilder"/> (which writes), so what only reads — observe mode, captures — needs nothing that writes.
/// Golden-tested in NetDashboard.Lab.Tests.
/// </summary>
public static class KernelReads
{
    private const string Ip = CommandBuilder.Ip;
    private const string Bridge = CommandBuilder.Bridge;

    public static HostCommand ReadLinks(string ns) => new(Ip, ["-n", ns, "-j", "-d", "addr", "show"]);
    public static HostCommand ReadRoutes(string ns) => new(Ip, ["-n", ns, "-j", "route", "show"]);
    public static HostCommand ReadBridgePorts(string ns) => new(Bridge, ["-n", ns, "-j", "link", "show"]);
    public static HostCommand ReadNeighbours(string ns) => new(Ip, ["-n", ns, "-j", "neigh", "show"]);
    public static HostCommand ReadLinkCounters(string ns) => new(Ip, ["-n", ns, "-j", "-s", "link", "show"]);
    public static HostCommand ReadForwardingDatabase(string ns, string bridge) => new(Bridge, ["-n", ns, "-j", "-s", "fdb", "show", "br", bridge]);
    public static HostCommand ReadForwarding(string ns) => Exec(ns, "sysctl", "-n", "net.ipv4.ip_forward");
    public static HostCommand ReadNatRules(string ns) => Exec(ns, "iptables", "-w", "-t", "nat", "-S", "POSTROUTING");
    public static HostCommand ReadConntrack(string ns) => Exec(ns, "conntrack", "-L", "-o", "timestamp");
    /// <summary>conntrack's event stream (NEW, UPDATE, DESTROY as they happen); runs until stopped.</summary>
    public static HostCommand FollowConntrack(string ns) => Exec(ns, "conntrack", "-E", "-o", "timestamp");
    /// <summary>
    /// Which table, chain and rule each nftrace-marked packet meets, and ruleset events (the trace's own table appearing
    /// says the monitor listens); runs until stopped. stdbuf: a pipe would hold its lines in a buffer a kill discards.
    /// </summary>
    public static HostCommand FollowNetfilterTrace(string ns) => Exec(ns, "stdbuf", "-oL", "xtables-monitor", "--trace", "--event", "-4");
    public static HostCommand ListTables(string ns) => Exec(ns, "nft", "list", "tables");
    /// <summary>The kernel's own routing decision for one packet, e.g. `ip route get 203.0.113.5 from 192.168.1.10 iif br0`.</summary>
    public static HostCommand RouteGet(string ns, IPAddress to, IPAddress? from, string? inInterface) =>
        new(Ip, ["-n", ns, "-j", "route", "get", to.ToString(), .. from is null ? Array.Empty<string>() : ["from", from.ToString()],
            .. inInterface is null ? Array.Empty<string>() : ["iif", inInterface]]);
    /// <summary>A chain's rules with their packet and byte counters (-c PACKETS BYTES).</summary>
    public static HostCommand ReadRulesWithCounters(string ns, string table, string chain) => Exec(ns, "iptables", "-w", "-t", table, "-S", chain, "-v");
    public static HostCommand ReadConntrackStats(string ns) => Exec(ns, "conntrack", "-S");
    public static HostCommand ReadConntrackFill(string ns) => Exec(ns, "sysctl", "-n", "net.netfilter.nf_conntrack_count", "net.netfilter.nf_conntrack_max");
    public static HostCommand ReadSysctl(string ns, string key) => Exec(ns, "sysctl", "-n", key);
    public static HostCommand Monitor(string ns) => new(Ip, ["-n", ns, "monitor", "link", "address", "route", "netconf"]);

    /// <summary>A program run in a namespace: `ip netns exec NS PROGRAM …`.</summary>
    internal static HostCommand Exec(string ns, params string[] argv) => new(Ip, ["netns", "exec", ns, .. argv]);
}

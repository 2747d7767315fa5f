namespace NetDashboard.Lab.Model;

/// <summary>
/// A real host's networks as its kernel holds them, read and never changed: every network namespace reachable from
/// the observed one (by veth pairs), its links, routes of every table, policy rules and forwarding, the process that
/// holds each tap, and the stacks recognised in them (libvirt, Docker, Proxmox).
/// </summary>
/// <param name="Target">The observed namespace as configured: "this host (the dashboard's own namespace)", a name under /run/netns or a /proc path.</param>
public sealed record ObservedHost(string Target, DateTimeOffset TakenAt, IReadOnlyList<ObservedNamespace> Namespaces, IReadOnlyList<ObservedStack> Stacks,
    long ElapsedMs)
{
    public ObservedNamespace? Find(ulong inode) => Namespaces.FirstOrDefault(n => n.Inode == inode);
}

/// <summary>One network namespace: its identity (inode, its name when it has one), who lives there, and what it holds.</summary>
/// <param name="Processes">The processes whose network namespace it is, a few by name ("dnsmasq 812").</param>
/// <param name="Rules">The policy rules (`ip rule`), as ip prints them.</param>
/// <param name="Chains">The nft chains of its ruleset as "family table chain" (iptables-nft's included).</param>
/// <param name="Path">Where it was entered: /run/netns/NAME, or /proc/PID/ns/net of a process living in it.</param>
/// <param name="Container">The container whose namespace it is, as its engine names it ("web"), when the engine told.</param>
/// <param name="Unread">What could not be read and the reader's words ("nft rules: Operation not permitted"): shown, never taken for empty.</param>
public sealed record ObservedNamespace(ulong Inode, string? Name, bool IsTarget, IReadOnlyList<string> Processes, IReadOnlyList<ObservedLink> Links,
    IReadOnlyList<RouteState> Routes, IReadOnlyList<string> Rules, bool Forwarding, IReadOnlyList<string> Chains, string? Container = null,
    string? Path = null, IReadOnlyList<string>? Unread = null)
{
    /// <summary>
    /// "netdash-x-host", "container web (net:[4026532174])" for a container's namespace without a name, or
    /// "net:[4026532174]".
    /// </summary>
    public string Label => Name ?? (Container is { } container ? $"container {container} (net:[{Inode}])" : $"net:[{Inode}]");

    public ObservedLink? Link(string name) => Links.FirstOrDefault(l => l.Name == name);
}

/// <summary>One interface and what joins it to the rest: its bridge, its veth peer (in which namespace), the process behind a tap.</summary>
/// <param name="Addresses">Its IPv4 addresses as ip prints them ("192.168.122.1/24").</param>
/// <param name="PeerNamespace">For a veth: the inode of the namespace its peer is in (itself when both ends are here).</param>
/// <param name="PeerName">For a veth: the peer's name.</param>
/// <param name="Holder">For a tun/tap: the process that holds it open, and the guest it serves when that is QEMU.</param>
public sealed record ObservedLink(int Index, string Name, string Kind, string? Mac, int Mtu, string State, string? Master,
    IReadOnlyList<string> Addresses, ulong? PeerNamespace = null, string? PeerName = null, TapHolder? Holder = null);

/// <summary>The process behind a tap: QEMU's pid and the guest's name (its -name, libvirt's domain name).</summary>
public sealed record TapHolder(int Pid, string Program, string? Guest);

/// <summary>A stack recognised on the host, in its own words: "Proxmox: vmbr0, VM 100 (tap100i0)".</summary>
/// <param name="Kind">libvirt, docker or proxmox.</param>
/// <param name="Links">The interfaces that belong to it.</param>
public sealed record ObservedStack(string Kind, string Label, ulong Namespace, IReadOnlyList<string> Links);

using NetDashboard.Lab.Engine;

namespace NetDashboard.Lab.Host;

/// <summary>The one place that turns typed operations into argv. Golden-tested in NetDashboard.Lab.Tests.</summary>
public static class CommandBuilder
{
    public const string Ip = "ip";
    public const string Bridge = "bridge";

    public static HostCommand Build(LabOperation operation) => operation switch
    {
        CreateNamespace op => IpCmd("netns", "add", op.Namespace),
        DeleteNamespace op => IpCmd("netns", "del", op.Namespace),
        CreateVethPair op => IpIn(op.Namespace, "link", "add", op.Name, "type", "veth", "peer", "name", op.PeerName, "netns", op.PeerNamespace),
        CreateBridge op => IpIn(op.Namespace, "link", "add", op.Name, "type", "bridge"),
        DeleteBridge op => IpIn(op.Namespace, "link", "del", op.Name),
        AddBridgePort op => IpIn(op.Namespace, "link", "set", op.Port, "master", op.Bridge),
        RemoveBridgePort op => IpIn(op.Namespace, "link", "set", op.Port, "nomaster"),
        SetLinkState op => IpIn(op.Namespace, "link", "set", op.Link, op.Up ? "up" : "down"),
        AddAddress op => IpIn(op.Namespace, "addr", "add", op.Address.ToString(), "dev", op.Link),
        RemoveAddress op => IpIn(op.Namespace, "addr", "del", op.Address.ToString(), "dev", op.Link),
        SetForwarding op => Exec(op.Namespace, "sysctl", "-q", "-w", $"net.ipv4.ip_forward={(op.Enabled ? 1 : 0)}"),
        AddMasquerade op => Exec(op.Namespace, ["iptables", "-w", "-t", "nat", "-A", .. MasqueradeSpec(op.Source.ToString(), op.OutInterface, op.Tag)]),
        RemoveMasquerade op => Exec(op.Namespace, ["iptables", "-w", "-t", "nat", "-D", .. MasqueradeSpec(op.Source.ToString(), op.OutInterface, op.Tag)]),
        AddRoute { Device: null } op => IpIn(op.Namespace, "route", "add", op.Destination.ToString(), "via", op.Gateway.ToString()),
        AddRoute op => IpIn(op.Namespace, "route", "add", op.Destination.ToString(), "via", op.Gateway.ToString(), "dev", op.Device),
        RemoveRoute op => IpIn(op.Namespace, "route", "del", op.Destination.ToString(), "via", op.Gateway.ToString()),
        StartInternetServer op => Exec(op.Namespace, "busybox", "httpd", "-p", "80", "-h", op.WebRoot),
        StopProcess op => new HostCommand("kill", op.Force ? ["-KILL", Pid(op.Pid)] : ["-TERM", Pid(op.Pid)]),
        _ => throw new NotSupportedException($"no command is known for {operation.GetType().Name}"),
    };

    // Reads: never journaled, never change anything.
    public static HostCommand ListNamespaces() => IpCmd("-j", "netns", "list");
    public static HostCommand ReadLinks(string ns) => new(Ip, ["-n", ns, "-j", "-d", "addr", "show"]);
    public static HostCommand ReadRoutes(string ns) => new(Ip, ["-n", ns, "-j", "route", "show"]);
    public static HostCommand ReadBridgePorts(string ns) => new(Bridge, ["-n", ns, "-j", "link", "show"]);
    public static HostCommand ReadForwarding(string ns) => Exec(ns, "sysctl", "-n", "net.ipv4.ip_forward");
    public static HostCommand ReadNatRules(string ns) => Exec(ns, "iptables", "-w", "-t", "nat", "-S", "POSTROUTING");
    public static HostCommand ReadNamespacePids(string ns) => IpCmd("netns", "pids", ns);
    public static HostCommand Monitor(string ns) => new(Ip, ["-n", ns, "monitor", "link", "address", "route", "netconf"]);

    /// <summary>The iptables comment that marks a rule as this lab's.</summary>
    public static string RuleTag(string lab) => $"netdash:{lab}";

    private static IReadOnlyList<string> MasqueradeSpec(string source, string? outInterface, string tag) =>
    [
        "POSTROUTING", "-s", source, "!", "-d", source,
        .. outInterface is null ? Array.Empty<string>() : ["-o", outInterface],
        "-m", "comment", "--comment", tag, "-j", "MASQUERADE",
    ];

    private static string Pid(int pid) => pid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static HostCommand IpCmd(params string[] args) => new(Ip, args);

    private static HostCommand IpIn(string ns, params string[] args) => new(Ip, ["-n", ns, .. args]);

    private static HostCommand Exec(string ns, params string[] argv) => new(Ip, ["netns", "exec", ns, .. argv]);
}

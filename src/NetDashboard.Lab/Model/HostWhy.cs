namespace NetDashboard.Lab.Model;

/// <summary>What `ip route get` answered: the device and gateway a packet would leave by, or why there is none.</summary>
/// <param name="Asked">The question as ip takes it: "ip route get 198.51.100.1 from 192.168.122.10 iif virbr0".</param>
/// <param name="Refusal">The kernel's words when it has no unicast way: "RTNETLINK answers: Network is unreachable", "blackhole", "local".</param>
/// <param name="Local">The destination is this namespace's own address.</param>
public sealed record RoutingAnswer(string Asked, string? Device, string? Gateway, string? Refusal, bool Local = false)
{
    public override string ToString() => Refusal is { } refusal ? $"{Asked} → {refusal}"
        : $"{Asked} → {(Gateway is null ? "" : $"via {Gateway} ")}dev {Device}";
}

/// <summary>
/// Why a packet captured on this host went where it went, in observe mode: where it was last seen among the open
/// captures and the kernel's own routing answers there. Nothing is sent and nothing is changed to find it out.
/// </summary>
public sealed record HostWhy(string Verdict, string LastSeenOn, IReadOnlyList<RoutingAnswer> KernelAnswers);

/// <summary>
/// What a namespace of this host holds that changes with traffic, read when a person looks at it (not with every
/// observation): its neighbours (ARP/NDP), a bridge's MAC table, the connections conntrack tracks; each as the tool
/// prints it, at most <see cref="MaxLines"/> lines, and what could not be read said.
/// </summary>
/// <param name="Bridge">The bridge whose MAC table was read, when a bridge was asked about.</param>
public sealed record HostDetails(ulong Namespace, string? Bridge, IReadOnlyList<string> Neighbours, IReadOnlyList<string> MacTable,
    IReadOnlyList<string> Connections, IReadOnlyList<string> Unread)
{
    public const int MaxLines = 200;
}

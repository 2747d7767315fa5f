namespace NetDashboard.Lab.Model;

/// <summary>
/// How to repair what stopped a packet: the lines a person would type, and what the dashboard runs for the button —
/// host operations (<see cref="Operations"/>, in order) and/or one command in a guest (<see cref="Vm"/>, <see cref="GuestCommand"/>).
/// </summary>
/// <param name="Tutorial">"(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward"; several steps are joined by " ; ".</param>
public sealed record TraceFix(string Tutorial, IReadOnlyList<OperationRequest> Operations, string? Vm = null, string? GuestCommand = null)
{
    /// <summary>A fix of one host operation.</summary>
    public static TraceFix Host(OperationRequest operation, string tutorial) => new($"(host)$ {tutorial}", [operation]);

    /// <summary>A fix of one command in a guest.</summary>
    public static TraceFix Guest(string vm, string command) => new($"({vm})$ {command}", [], vm, command);
}

/// <summary>
/// One thing the kernel (or the guest) said about the probe, quoted: the answer of `ip route get`, the netfilter rule
/// that matched, the drop reason and the kernel function that freed the packet, a neighbour's state, a counter.
/// </summary>
/// <param name="Source">Where it comes from: route, netfilter, drop-reason, neighbour, link, sysctl, conntrack, guest, checked.</param>
/// <param name="Station">Where on the way it applies (host/br0), when that is known.</param>
/// <param name="Text">The kernel's own words, e.g. "RTNETLINK answers: Network is unreachable".</param>
public sealed record TraceEvidence(string Source, InterfaceRef? Station, string Text)
{
    public const string Route = "route";
    public const string Netfilter = "netfilter";
    public const string DropReason = "drop-reason";
    public const string Neighbour = "neighbour";
    public const string Link = "link";
    public const string Sysctl = "sysctl";
    public const string Conntrack = "conntrack";
    public const string Guest = "guest";
    /// <summary>What was looked at and found nothing: said when the cause is unknown, so no guess stands in for it.</summary>
    public const string Checked = "checked";

    public override string ToString() => $"{Source}{(Station is { } at ? $" at {at}" : "")}: {Text}";
}

/// <summary>Why a probe did not get through, in the tutorial's words, with the kernel's evidence quoted.</summary>
/// <param name="Reason">A stable key: no-address, link-down, no-default-route, tap-down, not-a-port, bridge-down,
/// no-gateway-address, forwarding-off, no-route, uplink-down, blocking-route, firewall-drop, firewall-policy,
/// reverse-path, wrong-neighbour, neighbour-failed, too-big, no-such-address, conntrack-full, no-masquerade, unknown,
/// not-running, interrupted.</param>
/// <param name="StoppedAfter">The last place the packet was seen (host/br0), null when it never left its sender.</param>
/// <param name="Evidence">What the kernel said, in path order; the part that proves the cause comes first.</param>
public sealed record TraceVerdict(string Reason, string Sentence, InterfaceRef? StoppedAfter, TraceFix? Fix, IReadOnlyList<TraceEvidence>? Evidence = null)
{
    /// <summary>The lab or the sending VM went away while the probe was out: no rule of the lab is to blame.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>Nothing the kernel said explains it: the sentence says what was checked.</summary>
    public const string Unknown = "unknown";
}

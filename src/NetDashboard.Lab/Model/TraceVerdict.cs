
namespace NetDashboard.Lab.Model;

/// <summary>
/// How to repair what stopped a packet: the line a person would type, and what the dashboard runs for the button —
/// a host operation (<see cref="Operation"/>) or a command in a guest (<see cref="Vm"/>, <see cref="GuestCommand"/>).
/// </summary>
/// <param name="Tutorial">"(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward".</param>
public sealed record TraceFix(string Tutorial, OperationRequest? Operation = null, string? Vm = null, string? GuestCommand = null);

/// <summary>Why a probe did not get through, in the tutorial's words, found from the kernel state when it was sent.</summary>
/// <param name="Reason">A stable key: no-address, link-down, no-default-route, tap-down, not-a-port, bridge-down,
/// no-gateway-address, forwarding-off, no-route, no-masquerade, no-reply, not-running, interrupted.</param>
/// <param name="StoppedAfter">The last place the packet was seen (host/br0), null when it never left its sender.</param>
public sealed record TraceVerdict(string Reason, string Sentence, InterfaceRef? StoppedAfter, TraceFix? Fix)
{
    /// <summary>The lab or the sending VM went away while the probe was out: no rule of the lab is to blame.</summary>
    public const string Interrupted = "interrupted";
}

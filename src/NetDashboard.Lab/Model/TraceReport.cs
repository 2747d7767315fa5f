using Stopwatch = System.Diagnostics.Stopwatch;
using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>One place on a trace's way, and what the probe (or its reply) looked like there.</summary>
/// <param name="Station">Where, such as host/tap0.</param>
/// <param name="Exists">False when the interface is not in the kernel (nothing could be captured there).</param>
/// <param name="OffsetMs">Kernel time since the packet was first seen, when it was seen here.</param>
/// <param name="Changes">What differs from the previous place it was seen, e.g. "source 192.168.1.10 → 10.180.13.232".</param>
/// <param name="Packet">The packet as tcpdump -n would print it.</param>
public sealed record TraceHop(InterfaceRef Station, bool Exists, bool Seen, double? OffsetMs, IReadOnlyList<TraceChange> Changes, string? Packet);

/// <summary>A header field rewritten between two places: NAT's source rewrite, the TTL a router lowers, the MACs.</summary>
/// <param name="Header">Which field; JSON names it as a person does (<see cref="Field"/>).</param>
public sealed record TraceChange(InterfaceRef Station, [property: System.Text.Json.Serialization.JsonIgnore] HeaderField Header, string Before, string After)
{
    /// <summary>"source", "TTL", "ICMP id".</summary>
    public string Field => FieldChange.NameOf(Header);

    /// <summary>A rewrite NAT makes (addresses, ports, ICMP id), as opposed to what every router or bridge changes.</summary>
    public bool IsRewrite => Header is HeaderField.Source or HeaderField.Destination or HeaderField.IcmpId or HeaderField.SourcePort or HeaderField.DestinationPort;

    public override string ToString() => $"{Field} {Before} → {After}";
}

/// <summary>
/// A trace: where the probe was seen and where not, what was rewritten on the way, the reply, and — when it did not
/// get through — why, with the fix.
/// </summary>
/// <param name="Probe">The command that sent it, as a person would type it: "(vm1)$ ping -c 1 -W 2 203.0.113.5".</param>
/// <param name="ProbeProblem">Why the sender's command did not run or finish (a guest too busy to answer its agent in
/// time), when that is so: a probe seen nowhere was then perhaps never sent, which is not the same as lost.</param>
/// <param name="Arrived">Seen at the last place before the target, or answered.</param>
/// <param name="Replied">The reply came back to the sender's side.</param>
/// <param name="ElapsedMs">From the request to the verdict; the trace's captures close after it.</param>
public sealed record TraceReport(
    string Lab, string From, string To, string Protocol, string Probe, int? ProbeExitCode, string? ProbeProblem, bool Arrived, bool Replied,
    IReadOnlyList<TraceHop> Request, IReadOnlyList<TraceHop> Reply, IReadOnlyList<TraceChange> Rewrites, TraceVerdict? Verdict,
    long ElapsedMs)
{
    /// <summary>The sender's command failed and nothing of the probe was seen: no evidence either way, so no verdict.</summary>
    public bool NotSent => ProbeProblem is not null && !Replied && !Request.Any(h => h.Seen);

    /// <summary>The lab or the sending VM went away during the trace (<see cref="TraceVerdict.Interrupted"/>).</summary>
    public bool Interrupted => Verdict?.Reason == TraceVerdict.Interrupted;

    /// <summary>The outcome in a few words, the same in the page, the CLI and the API's message.</summary>
    public string Outcome =>
        Replied ? $"{From} reached {To} ({Protocol}); the reply came back"
        : Interrupted ? Verdict!.Sentence
        : Arrived ? $"{From}'s probe arrived at {To}'s side; no reply came back"
        : NotSent ? $"{From}'s probe was not sent: {ProbeProblem}"
        : $"{From}'s probe was lost";
}

public sealed record TraceOutcome(ActionResult Result, TraceReport? Report);

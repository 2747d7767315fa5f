using System.Net;

namespace NetDashboard.Lab.Model;

/// <summary>
/// A trace's netfilter tracing in one of the lab's namespaces: a table of its own whose chains, hooked before every
/// other (priority −350), mark only the probe and its reply (protocol, port, the target as source or destination) with
/// nftrace, so xtables-monitor reports each table, chain and rule they meet. Removed by name after the trace.
/// </summary>
public sealed record StartPacketTrace(string Namespace, TraceProtocol Protocol, IPAddress Target) : LabOperation(Namespace)
{
    /// <summary>The table's name, the same in every namespace: a leftover is found and removed by it.</summary>
    public const string Table = "netdash_trace";

    public override string Tutorial => $"nft {Script}   # mark the probe for xtables-monitor --trace";
    public override bool Replayable => false;

    /// <summary>The nft commands, one argument (nft joins its arguments into one script; no shell reads it).</summary>
    public string Script
    {
        get
        {
            var (toTarget, fromTarget) = Protocol.Kind switch
            {
                TraceProtocolKind.Icmp => ("meta l4proto icmp", "meta l4proto icmp"),
                TraceProtocolKind.Tcp => ($"tcp dport {Protocol.Port}", $"tcp sport {Protocol.Port}"),
                _ => ($"udp dport {Protocol.Port}", $"udp sport {Protocol.Port}"),
            };
            var rules = new[] { "pre", "out" }.SelectMany(chain => new[]
            {
                $"add rule ip {Table} {chain} {toTarget} ip daddr {Target} meta nftrace set 1",
                $"add rule ip {Table} {chain} {fromTarget} ip saddr {Target} meta nftrace set 1",
            });
            return string.Join("; ", new[]
            {
                $"add table ip {Table}",
                $"add chain ip {Table} pre {{ type filter hook prerouting priority -350; }}",
                $"add chain ip {Table} out {{ type filter hook output priority -350; }}",
            }.Concat(rules));
        }
    }
}

/// <summary>Removes a trace's netfilter tracing table (<see cref="StartPacketTrace.Table"/>) from a namespace.</summary>
public sealed record StopPacketTrace(string Namespace) : LabOperation(Namespace)
{
    public override string Tutorial => $"nft delete table ip {StartPacketTrace.Table}";
    public override bool Replayable => false;
}

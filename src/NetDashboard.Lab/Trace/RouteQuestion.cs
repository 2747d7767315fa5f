using System.Net;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

/// <summary>One routing decision to ask the kernel for, where it is made on the probe's way.</summary>
/// <param name="Station">The place the decision is made: host/br0 for the way on, host/ens160 for the way back, wan/eth0.</param>
/// <param name="Question">As a person types it: "ip route get 203.0.113.5 from 192.168.1.10 iif br0".</param>
public sealed record RouteQuestion(InterfaceRef Station, string Question, HostCommand Command)
{
    private static RouteQuestion Ask(InterfaceRef station, string ns, IPAddress to, IPAddress? from, string? inInterface) =>
        new(station, $"ip route get {to}{(from is null ? "" : $" from {from}")}{(inInterface is null ? "" : $" iif {inInterface}")}",
            KernelReads.RouteGet(ns, to, from, inInterface));

    /// <summary>
    /// The decisions a probe meets: the host's, for the packet as it comes in from the sender's side (a VM's or the
    /// PC's address, in by the bridge); the host's for the reply coming back in by the way out (which also asks the
    /// reverse-path filter); the wan's for the packet it receives (local delivery, or nothing) and for its answer.
    /// </summary>
    public static IReadOnlyList<RouteQuestion> For(TracePlan plan, Topology topology, LabDefinition? definition, IPAddress? source)
    {
        var names = new LabNamespaces(topology.Lab);
        var questions = new List<RouteQuestion>();
        var world = definition?.World ?? new WorldDefinition();
        var inPort = plan.Bridge ?? (plan.Source.IsVm ? plan.Source.Tap : plan.Source == TraceSource.Pc ? WorldDefinition.LanNicName : null);
        if (source is not null && inPort is not null)
            questions.Add(Ask(InterfaceRef.Host(inPort), names.Host, plan.Target, source, inPort));
        else if (plan.Source == TraceSource.Host)
            questions.Add(Ask(InterfaceRef.Host(plan.Egress ?? WorldDefinition.UplinkName), names.Host, plan.Target, null, null));
        var uplink = topology.Host.Link(WorldDefinition.UplinkName);
        if (source is not null && plan.Egress is { } egress && topology.Host.Link(egress) is not null)
            questions.Add(Ask(InterfaceRef.Host(egress), names.Host, source, plan.Target, egress));
        if (topology.Find(NamespaceRole.Wan) is { Exists: true } wan && wan.Link(WorldDefinition.PeerName) is not null)
        {
            var uplinkAddress = uplink?.Addresses.FirstOrDefault()?.Address ?? world.UplinkAddress.Address;
            var peer = new InterfaceRef(NamespaceRole.Wan, WorldDefinition.PeerName);
            questions.Add(Ask(peer, names.Wan, plan.Target, uplinkAddress, WorldDefinition.PeerName));
        }
        return questions;
    }
}

using NetDashboard.Lab.Model;

namespace NetDashboard.Model;

/// <summary>One lit place of a journey on the graph: an element id ("link:host:tap0") and what to write beside it.</summary>
public sealed record JourneyStep(string ElementId, string Label);

/// <summary>One place a packet was seen: where, its offset in ms, whether a router lowered its TTL on the way there, and NAT's rewrites.</summary>
public sealed record GraphHop(InterfaceRef Station, double OffsetMs, bool Routed, IReadOnlyList<string> Rewrites)
{
    public static GraphHop Of(JourneyHop hop) =>
        new(hop.Interface, hop.OffsetMicros / 1000.0, hop.Changes.Any(c => c.Field == HeaderField.Ttl),
            hop.Changes.Where(c => c.IsRewrite).Select(c => c.Describe()).ToList());

    public static GraphHop Of(TraceHop hop) =>
        new(hop.Station, hop.OffsetMs ?? 0, hop.Changes.Any(c => c.Header == HeaderField.Ttl),
            hop.Changes.Where(c => FieldChange.IsNatField(c.Header)).Select(c => c.ToString()).ToList());
}

/// <summary>
/// A packet's way drawn on the topology graph, in order: the sender, each interface it was seen on with its time
/// offset, the router where it was routed (with NAT's rewrite), and the far end when it arrived. The graph lights
/// these elements and the edges between consecutive ones.
/// </summary>
public sealed record GraphJourney(IReadOnlyList<JourneyStep> Steps)
{
    /// <param name="hops">Each place the packet was seen, in path order.</param>
    /// <param name="sender">The VM that sent it, when one did.</param>
    /// <param name="arrived">It reached the internet server's namespace.</param>
    public static GraphJourney Of(IReadOnlyList<GraphHop> hops, string? sender, bool arrived)
    {
        var steps = new List<JourneyStep>();
        if (sender is not null) steps.Add(new JourneyStep(TopologyGraph.VmId(sender), "sent"));
        foreach (var hop in hops)
        {
            // A hop whose TTL dropped was routed: the router sits before it, and carries the rewrite when NAT made one.
            if (hop.Routed)
                steps.Add(new JourneyStep(TopologyGraph.RouterId, string.Join('\n', hop.Rewrites.DefaultIfEmpty("routed"))));
            steps.Add(new JourneyStep(GraphElementId.Link(hop.Station.Role, hop.Station.Name).ToString(), $"+{hop.OffsetMs:0.000} ms"));
        }
        if (arrived) steps.Add(new JourneyStep(TopologyGraph.ServerId, "arrived"));
        return new GraphJourney(steps);
    }
}

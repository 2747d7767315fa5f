namespace NetDashboard.Model;

/// <summary>One lit place of a journey on the graph: an element id ("link:host:tap0") and what to write beside it.</summary>
public sealed record JourneyStep(string ElementId, string Label);

/// <summary>
/// A packet's way drawn on the topology graph, in order: the sender, each interface it was seen on with its time
/// offset, the router where it was routed (with NAT's rewrite), and the far end when it arrived. The graph lights
/// these elements and the edges between consecutive ones.
/// </summary>
public sealed record GraphJourney(IReadOnlyList<JourneyStep> Steps)
{
    /// <param name="hops">Each place the packet was seen ("host/br0"), its offset in ms, and what changed there.</param>
    /// <param name="sender">The VM that sent it, when one did.</param>
    /// <param name="arrived">It reached the internet server's namespace.</param>
    public static GraphJourney Of(IReadOnlyList<(string Station, double OffsetMs, IReadOnlyList<string> Changes)> hops, string? sender, bool arrived)
    {
        var steps = new List<JourneyStep>();
        if (sender is not null) steps.Add(new JourneyStep(TopologyGraph.VmId(sender), "sent"));
        foreach (var (station, offset, changes) in hops)
        {
            if (station.Split('/') is not [var role, var iface] || GraphElementId.Parse($"link:{role}:{iface}") is not { } id) continue;
            // A hop whose TTL dropped was routed: the router sits before it, and carries the rewrite when NAT made one.
            var routed = changes.Any(c => c.StartsWith("TTL", StringComparison.Ordinal));
            if (routed)
                steps.Add(new JourneyStep(TopologyGraph.RouterId,
                    string.Join('\n', changes.Where(c => !c.StartsWith("TTL", StringComparison.Ordinal) && !c.Contains("MAC", StringComparison.Ordinal))
                        .DefaultIfEmpty("routed"))));
            steps.Add(new JourneyStep(id.ToString(), $"+{offset:0.000} ms"));
        }
        if (arrived) steps.Add(new JourneyStep(TopologyGraph.ServerId, "arrived"));
        return new GraphJourney(steps);
    }
}

using NetDashboard.Lab.Model;
namespace NetDashboard.Model;

/// <summary>
/// Packets per second on the graph's edges, from two readings of the interfaces' kernel counters a moment apart:
/// an edge shows the rate of the interface it starts from (a tap into its bridge, ens160 to the wan, a port to the
/// router), or of the one it ends at when it starts at a VM.
/// </summary>
public sealed class LinkRates
{
    private IReadOnlyDictionary<InterfaceRef, long>? _before;
    private DateTime _beforeAt;

    /// <summary>Takes a reading (interface → packets) and returns each edge's label ("12 pkt/s"), empty the first time.</summary>
    public IReadOnlyDictionary<string, string> Next(IReadOnlyDictionary<InterfaceRef, long> packets, DateTime at, GraphModel graph)
    {
        var before = _before;
        var seconds = (at - _beforeAt).TotalSeconds;
        (_before, _beforeAt) = (packets, at);
        if (before is null || seconds <= 0) return new Dictionary<string, string>();
        var rates = new Dictionary<InterfaceRef, double>();
        foreach (var (link, count) in packets)
            if (before.TryGetValue(link, out var earlier) && count >= earlier)
                rates[link] = (count - earlier) / seconds;
        var labels = new Dictionary<string, string>();
        foreach (var edge in graph.Edges)
        {
            var link = LinkOf(edge.Source) ?? LinkOf(edge.Target);
            if (link is { } counted && rates.TryGetValue(counted, out var rate))
                labels[edge.Id] = $"{rate:0} pkt/s";
        }
        return labels;
    }

    // "link:host:tap0" → host/tap0; anything else (a VM, the router) has no counter of its own.
    private static InterfaceRef? LinkOf(string elementId) =>
        GraphElementId.Parse(elementId) is { Kind: GraphElementKind.Link, Name: { } name } id ? new InterfaceRef(id.Role, name) : null;
}

/// <summary>
/// Reads a lab's interface counters once a second while <c>active</c> says so, and publishes the edges' rates (the
/// captures page always, the lab page while a journey is lit). One `ip -j -s link` per namespace a second.
/// </summary>
public sealed class LinkRateFollower(NetDashboard.Lab.Services.LabService labs, string lab, Func<GraphModel> graph, Func<bool> active,
    Func<IReadOnlyDictionary<string, string>, Task> publish)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var rates = new LinkRates();
        var shown = false;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!active())
                {
                    if (shown) await publish(new Dictionary<string, string>());
                    (rates, shown) = (new LinkRates(), false);
                    continue;
                }
                var labels = rates.Next(await labs.LinkPacketsAsync(lab, cancellationToken), DateTime.UtcNow, graph());
                await publish(labels);
                shown = labels.Count > 0;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The page went away.
        }
    }
}

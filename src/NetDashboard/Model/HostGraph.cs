using System.Globalization;
using NetDashboard.Lab.Model;

namespace NetDashboard.Model;

public enum HostElementKind { Namespace, Link, Guest }

/// <summary>
/// The id of an element of this host's graph, as the graph (JavaScript) and the page exchange it: "hns:INODE",
/// "hlink:INODE:NAME", "guest:INODE:TAP" (the process behind a tap). A namespace is named by its inode: a namespace
/// held only by a process has no other name. Parsed in one place, so no caller splits strings.
/// </summary>
public sealed record HostElementId(HostElementKind Kind, ulong Namespace, string? Name)
{
    public static HostElementId Of(ObservedNamespace ns) => new(HostElementKind.Namespace, ns.Inode, null);
    public static HostElementId Of(ObservedNamespace ns, ObservedLink link) => new(HostElementKind.Link, ns.Inode, link.Name);
    public static HostElementId GuestOf(ObservedNamespace ns, ObservedLink tap) => new(HostElementKind.Guest, ns.Inode, tap.Name);

    public static HostElementId? Parse(string? id)
    {
        var parts = id?.Split(':', 3) ?? [];
        return parts switch
        {
            ["hns", var inode] when Inode(inode) is { } n => new(HostElementKind.Namespace, n, null),
            ["hlink", var inode, var name] when Inode(inode) is { } n && name.Length > 0 => new(HostElementKind.Link, n, name),
            ["guest", var inode, var name] when Inode(inode) is { } n && name.Length > 0 => new(HostElementKind.Guest, n, name),
            _ => null,
        };
    }

    public override string ToString() => Kind switch
    {
        HostElementKind.Namespace => $"hns:{Namespace}",
        HostElementKind.Link => $"hlink:{Namespace}:{Name}",
        _ => $"guest:{Namespace}:{Name}",
    };

    private static ulong? Inode(string text) => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>
/// Turns an observation of this host into graph elements: a box per namespace, its links inside, the process behind
/// each tap beside it, bridge ports joined to their bridge and veth pairs joined across namespaces. Pure, so the
/// mapping is unit-tested. The observed namespace is laid out like a lab's host (guests, taps, bridges, the rest);
/// every other namespace gets rows of its own in the column beside it.
/// </summary>
public static class HostGraph
{
    private const int GuestColumn = 0, TapColumn = 1, BridgeColumn = 2, OtherColumn = 3;
    // The observed namespace's other links (veths, uplinks) stand in columns this tall: a bridge of thirty ports is a block, not a tower.
    private const int RowsPerColumn = 8;

    /// <summary>
    /// Above this many namespaces, each one other than the observed one is drawn as a single box (its links counted)
    /// until it is opened: a host of a hundred namespaces stays readable. What they hold is still listed and found.
    /// </summary>
    public const int CollapseAbove = 12;
    private const int GroupsPerRow = 5;

    /// <summary>Whether <paramref name="ns"/> is drawn as one box: a host with many namespaces, one not opened.</summary>
    public static bool IsCollapsed(ObservedHost host, ObservedNamespace ns, IReadOnlySet<ulong>? opened) =>
        !ns.IsTarget && host.Namespaces.Count > CollapseAbove && opened?.Contains(ns.Inode) != true;

    /// <param name="opened">The namespaces to draw whole on a host of many (<see cref="CollapseAbove"/>); null draws none.</param>
    /// <param name="collapse">False draws every namespace whole, whatever their number (what a search looks through).</param>
    public static GraphModel Build(ObservedHost host, IReadOnlySet<ulong>? opened = null, bool collapse = true)
    {
        var nodes = new List<GraphNode>();
        var edges = new List<GraphEdge>();
        var neighbourRow = 0;
        var groups = 0;
        bool Collapsed(ObservedNamespace ns) => collapse && IsCollapsed(host, ns, opened);
        var targetLinks = host.Namespaces.FirstOrDefault(n => n.IsTarget)?.Links ?? [];
        var targetOthers = targetLinks.Count(l => l.Kind is not ("loopback" or "tun" or "bridge"));
        var neighbourColumn = OtherColumn + Math.Max(1, (targetOthers + RowsPerColumn - 1) / RowsPerColumn);
        // Closed namespaces go in rows below the observed one's, so a host of many stays about as wide as the panel.
        var groupRow = new[] { targetLinks.Count(l => l.Kind == "tun"), targetLinks.Count(l => l.Kind == "bridge"), Math.Min(targetOthers, RowsPerColumn) }.Max() + 1;
        // A link of a collapsed namespace is drawn as its namespace's box: a veth into it ends there.
        string EndOf(ObservedNamespace ns, ObservedLink link) => Collapsed(ns) ? HostElementId.Of(ns).ToString() : HostElementId.Of(ns, link).ToString();
        foreach (var ns in host.Namespaces.OrderByDescending(n => n.IsTarget).ThenBy(n => n.Label, StringComparer.Ordinal))
        {
            var nsId = HostElementId.Of(ns).ToString();
            if (Collapsed(ns))
            {
                nodes.Add(new GraphNode(nsId, GroupLabel(ns, host), "group", null, ns.Forwarding ? "forwarding" : "plain",
                    GuestColumn + groups % GroupsPerRow, groupRow + groups / GroupsPerRow));
                groups++;
                foreach (var link in ns.Links)
                {
                    if (Peer(host, ns, link) is { } peer && IsFirstOfPair(ns, link, peer.Namespace, peer.Link) && peer.Namespace != ns)
                        edges.Add(new GraphEdge($"veth:{ns.Inode}:{link.Name}", nsId, EndOf(peer.Namespace, peer.Link), "cable", Passes(link, peer.Link)));
                }
                continue;
            }
            nodes.Add(new GraphNode(nsId, NamespaceLabel(ns, host), "namespace", null, ns.Forwarding ? "forwarding" : "plain", 0, 0));
            var links = ns.Links.Where(l => l.Kind != "loopback").ToList();
            var taps = links.Where(l => l.Kind == "tun").OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
            var bridges = links.Where(l => l.Kind == "bridge").OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
            var others = links.Except(taps).Except(bridges).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
            foreach (var link in links)
            {
                var (x, y) = ns.IsTarget
                    ? (link.Kind == "tun" ? (TapColumn, taps.IndexOf(link)) : link.Kind == "bridge" ? (BridgeColumn, bridges.IndexOf(link))
                        : (OtherColumn + others.IndexOf(link) / RowsPerColumn, others.IndexOf(link) % RowsPerColumn))
                    : (neighbourColumn, neighbourRow++);
                var id = HostElementId.Of(ns, link).ToString();
                nodes.Add(new GraphNode(id, LinkLabel(link), LinkKind(link), nsId, StateClass(link.State), x, y));
                if (link.Master is not null && ns.Link(link.Master) is { } master)
                    edges.Add(new GraphEdge($"member:{ns.Inode}:{link.Name}", id, HostElementId.Of(ns, master).ToString(), "member", Passes(link, master)));
                if (link.Holder is { } holder)
                {
                    var guest = HostElementId.GuestOf(ns, link).ToString();
                    nodes.Add(new GraphNode(guest, GuestLabel(holder), "vm", null, "running", ns.IsTarget ? GuestColumn : neighbourColumn + 1, ns.IsTarget ? y : neighbourRow - 1));
                    edges.Add(new GraphEdge($"holds:{ns.Inode}:{link.Name}", guest, id, "vm", link.State == "DOWN" ? "down" : "up"));
                }
                if (Peer(host, ns, link) is { } peer && IsFirstOfPair(ns, link, peer.Namespace, peer.Link))
                    edges.Add(new GraphEdge($"veth:{ns.Inode}:{link.Name}", id, EndOf(peer.Namespace, peer.Link), "cable", Passes(link, peer.Link)));
            }
            if (!ns.IsTarget && links.Count == 0)
                neighbourRow++; // a namespace with only its loopback still gets its box a row
        }
        return new GraphModel(nodes, edges);
    }

    /// <summary>
    /// The elements a search names: those whose label holds every word of <paramref name="query"/> (a name, an address,
    /// a guest, a namespace's inode), ignoring case; every element for an empty query. Namespace boxes come last.
    /// </summary>
    public static IReadOnlyList<GraphNode> Matching(GraphModel graph, string? query)
    {
        var words = (query ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return [.. graph.Nodes.Where(n => words.All(w => n.Label.Contains(w, StringComparison.OrdinalIgnoreCase) || n.Id.Contains(w, StringComparison.Ordinal)))
            .OrderBy(n => n.Kind == "namespace")];
    }

    /// <summary>The other end of a veth, when its namespace was read.</summary>
    public static (ObservedNamespace Namespace, ObservedLink Link)? Peer(ObservedHost host, ObservedNamespace ns, ObservedLink link) =>
        link is { PeerNamespace: { } peerNs, PeerName: { } peerName } && host.Find(peerNs) is { } other && other.Link(peerName) is { } peer ? (other, peer) : null;

    /// <summary>"up", "nocarrier" or "down", as the graph colours a link.</summary>
    public static string StateClass(string state) => state switch
    {
        "UP" or "UNKNOWN" => "up",
        "NO-CARRIER" or "LOWERLAYERDOWN" => "nocarrier",
        _ => "down",
    };

    // One edge per pair: drawn from the end that sorts first.
    private static bool IsFirstOfPair(ObservedNamespace ns, ObservedLink link, ObservedNamespace peerNs, ObservedLink peer) =>
        (ns.Inode, link.Name).CompareTo((peerNs.Inode, peer.Name)) < 0;

    private static string Passes(ObservedLink a, ObservedLink b) => a.State != "DOWN" && b.State != "DOWN" ? "up" : "down";

    private static string NamespaceLabel(ObservedNamespace ns, ObservedHost host)
    {
        var parts = new List<string> { ns.IsTarget ? $"observed: {ns.Label}" : ns.Label, ns.Forwarding ? "forwarding on" : "forwarding off" };
        parts.AddRange(host.Stacks.Where(s => s.Namespace == ns.Inode).Select(s => s.Label));
        if (!ns.IsTarget && ns.Processes.Count > 0)
            parts.Add(string.Join(", ", ns.Processes.Take(2)) + (ns.Processes.Count > 2 ? ", …" : ""));
        // A line each: side by side, two boxes' labels would read as one.
        return string.Join('\n', parts);
    }

    // A collapsed namespace says what it is and how much it holds, in as few lines as its box allows.
    private static string GroupLabel(ObservedNamespace ns, ObservedHost host)
    {
        var links = ns.Links.Count(l => l.Kind != "loopback");
        var parts = new List<string> { ns.Label };
        parts.AddRange(host.Stacks.Where(s => s.Namespace == ns.Inode).Select(s => s.Label));
        parts.Add($"{links} link{(links == 1 ? "" : "s")} · select to open");
        return string.Join('\n', parts);
    }

    private static string LinkKind(ObservedLink link) => link.Kind switch
    {
        "tun" => "tap",
        "bridge" => "bridge",
        "veth" => "nic",
        _ => "link",
    };

    private static string LinkLabel(ObservedLink link) => string.Join('\n', new[] { $"{link.Name} ({link.State})" }.Concat(link.Addresses));

    private static string GuestLabel(TapHolder holder) =>
        holder.Guest is { } guest ? $"{guest}\n{holder.Program} {holder.Pid}" : $"{holder.Program} {holder.Pid}";
}

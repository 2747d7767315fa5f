namespace NetDashboard.Lab.Model;

/// <summary>
/// A running capture held open for one reader (a page's pane, a hub stream): its rows from a sequence on, in batches
/// at most ten a second, and one packet's decoded layers. Disposing it lets the capture stop when no one else reads it.
/// </summary>
public interface ICaptureLease : IAsyncDisposable
{
    /// <summary>The sequence the next captured row will have: reading from it shows only what comes.</summary>
    long Next { get; }

    IAsyncEnumerable<CaptureBatch> ReadAsync(long from, CancellationToken cancellationToken);

    /// <summary>One packet's layers and bytes, or null once the ring has dropped it.</summary>
    PacketDetail? Detail(long sequence);
}

/// <summary>The NAT table of a lab's host as conntrack reports it while the lab's captures run, linked to captured packets.</summary>
public interface INatView
{
    /// <summary>Grows at each change of <see cref="Entries"/>, so a reader redraws only then.</summary>
    long Version { get; }

    /// <summary>Why the table cannot be followed (conntrack missing, refused), or null.</summary>
    string? Problem { get; }

    IReadOnlyList<NatEntry> Entries { get; }

    /// <summary>Whether a captured row of flow <paramref name="rowFlow"/> belongs to <paramref name="entry"/>.</summary>
    bool Holds(NatEntry entry, long rowFlow);

    /// <summary>How many captured packets each entry has, each way; null for an entry no capture saw.</summary>
    IReadOnlyList<FlowPackets?> PacketsOf(IReadOnlyList<NatEntry> entries);
}

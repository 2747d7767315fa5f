namespace NetDashboard.Lab.Model;

/// <summary>The bounds of a <see cref="PacketCorrelator"/>: every table it keeps is capped in time and in size.</summary>
public sealed record CorrelationOptions
{
    /// <summary>
    /// Kernel time within which hops of one packet are looked for; an older packet is joined by nothing new, but its
    /// journey is kept until <see cref="Capacity"/> newer hops push it out.
    /// </summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Hops (one packet on one interface) held at most; the oldest are forgotten first. At 3 × 20,000 packets a
    /// second this still holds the last quarter second, far more than the 20 ms blocks in which captures deliver; at a
    /// ping a second on three interfaces, the last 90 minutes. With <see cref="FlowCapacity"/> about 4 MB: a lab's
    /// correlator lives with its captures, and a larger one (17 MB at 65,536) showed in the soak's RSS.
    /// </summary>
    public int Capacity { get; init; } = 16_384;

    /// <summary>
    /// How long a quiet conversation keeps its flow id. Shorter than conntrack's shortest timeout (30 s, ICMP and
    /// UDP), so a tuple NAT hands to another guest later starts a new flow instead of joining the old one.
    /// </summary>
    public TimeSpan FlowIdle { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Conversation tuples (as each interface sees them, and conntrack's) held at most.</summary>
    public int FlowCapacity { get; init; } = 4_096;

    internal CorrelationOptions Checked()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Window, TimeSpan.Zero, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FlowIdle, TimeSpan.Zero, nameof(FlowIdle));
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 16, nameof(Capacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(FlowCapacity, 16, nameof(FlowCapacity));
        return this;
    }
}

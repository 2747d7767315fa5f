namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// A captured packet as the correlator takes it: its headers and keys, read from its bytes by the capture's own
/// worker before the correlator's lock is taken.
/// </summary>
internal readonly struct ObservedPacket
{
    public long Sequence { get; private init; }
    public long TimestampMicros { get; private init; }
    /// <summary>False for a frame shorter than an Ethernet header: nothing to link.</summary>
    public bool IsFrame { get; private init; }
    public PacketHeaders Headers { get; private init; }
    public ulong InvariantKey { get; private init; }
    public bool HasTuple { get; private init; }
    public FlowTuple Tuple { get; private init; }

    /// <param name="sequence">The row's number in its capture, handed back by <see cref="PacketCorrelator.Journey"/>.</param>
    public static ObservedPacket Read(long sequence, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        if (!PacketHeaderReader.TryRead(frame, out var headers))
            return new ObservedPacket { Sequence = sequence, TimestampMicros = timestampMicros };
        var hasTuple = FlowTuple.TryOf(headers, out var tuple);
        return new ObservedPacket
        {
            Sequence = sequence,
            TimestampMicros = timestampMicros,
            IsFrame = true,
            Headers = headers,
            InvariantKey = headers.NatInvariantKey,
            HasTuple = hasTuple,
            Tuple = tuple,
        };
    }
}

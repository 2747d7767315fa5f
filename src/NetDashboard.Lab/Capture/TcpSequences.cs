using System.Buffers.Binary;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// tcpdump's relative TCP sequence numbers for one capture: the first sequence and acknowledgment numbers of each
/// conversation, both directions under one key (tcpdump's tcp_seq_hash). Only the decoding worker uses it, so it has
/// no lock. Bounded: past <see cref="MaxFlows"/> conversations it starts over, and the next segment of a forgotten
/// one reads as its first (absolute numbers), as tcpdump prints a flow it joined midway.
/// </summary>
public sealed class TcpSequences
{
    public const int MaxFlows = 4096;

    private readonly Dictionary<FlowKey, (uint Seq, uint Ack)> _flows = [];

    /// <summary>
    /// What tcpdump prints for a segment with the ACK flag: relative numbers once the conversation is known and the
    /// segment is not a SYN; the absolute ones (and the conversation recorded anew) otherwise.
    /// </summary>
    /// <returns>The numbers to print, and the conversation's base numbers in the segment's direction (for SACK blocks).</returns>
    internal (uint Seq, uint Ack, uint BaseSeq, uint BaseAck, bool Reversed) Relative(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination,
        ushort sourcePort, ushort destinationPort, uint seq, uint ack, bool syn)
    {
        // tcpdump's collating order: the lower port first, the lower address when the ports are equal.
        var reversed = sourcePort > destinationPort || (sourcePort == destinationPort && source.SequenceCompareTo(destination) > 0);
        var key = reversed
            ? new FlowKey(Address(destination), Address(source), (uint)destinationPort << 16 | sourcePort, source.Length == 16)
            : new FlowKey(Address(source), Address(destination), (uint)sourcePort << 16 | destinationPort, source.Length == 16);
        if (!syn && _flows.TryGetValue(key, out var known))
            return reversed
                ? (seq - known.Ack, ack - known.Seq, known.Seq, known.Ack, true)
                : (seq - known.Seq, ack - known.Ack, known.Seq, known.Ack, false);
        if (_flows.Count >= MaxFlows && !_flows.ContainsKey(key))
            _flows.Clear();
        var entry = reversed ? (ack - 1, seq) : (seq, ack - 1);
        _flows[key] = entry;
        return (seq, ack, entry.Item1, entry.Item2, reversed);
    }

    private static UInt128 Address(ReadOnlySpan<byte> address) =>
        address.Length == 16 ? BinaryPrimitives.ReadUInt128BigEndian(address) : BinaryPrimitives.ReadUInt32BigEndian(address);

    private readonly record struct FlowKey(UInt128 Source, UInt128 Destination, uint Ports, bool V6);
}

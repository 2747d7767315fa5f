using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetDashboard.Lab.Capture.Correlation;

public sealed partial class PacketCorrelator
{
    private readonly long _flowIdleMicros;
    private readonly int _flowCapacity;
    private readonly Dictionary<FlowTuple, FlowSeen> _flows;
    // Flow id → the older flow it turned out to be, in the slot of the id: one read per step on the hot path. Ids
    // count up, so a slot goes to another merge only 2 × FlowCapacity flows later, when the first is long quiet.
    private readonly MergedFlow[] _mergedInto;
    private long _lastFlowId;

    /// <summary>
    /// Takes one conntrack entry: its original tuple (as the guest sent) and reply tuple (as the answer comes back,
    /// NAT applied) are one conversation. Entries for other than IPv4 ICMP echo, TCP and UDP are ignored.
    /// </summary>
    public void ObserveConntrack(ConntrackEntry entry)
    {
        if (!TryTuple(entry, entry.Original, out var original) || !TryTuple(entry, entry.Reply, out var reply))
            return;
        // Until conntrack destroys the entry, NAT gives its tuples to no one else; after, they age like any other.
        var live = entry.Event != ConntrackEvent.Destroy;
        lock (_gate)
        {
            var (a, b) = (Seen(original).FlowId, Seen(reply).FlowId);
            var flow = a != 0 && b != 0 ? Merge(a, b) : a != 0 ? a : b != 0 ? b : NewFlow();
            Remember(original, flow, live);
            Remember(reply, flow, live);
        }
    }

    /// <summary>The tuple's flow (resolved; 0 when unknown or gone quiet) and whether conntrack vouched for it.</summary>
    private FlowSeen Seen(FlowTuple tuple) =>
        _flows.TryGetValue(tuple, out var seen) && IsFresh(seen) ? seen with { FlowId = Resolve(seen.FlowId) } : default;

    private bool IsConfirmed(in PacketHeaders headers) =>
        FlowTuple.TryOf(headers, out var tuple) && _flows.TryGetValue(tuple, out var seen) && seen.Confirmed;

    // A tuple quiet for longer than conntrack keeps the shortest entries may be NAT's again for another conversation.
    private bool IsFresh(FlowSeen seen) => seen.Confirmed || seen.LastSeenMicros >= _newestMicros - _flowIdleMicros;

    /// <param name="confirmed">Whether a live conntrack entry holds the tuple; null from a packet, which cannot tell.</param>
    private void Remember(FlowTuple tuple, long flowId, bool? confirmed)
    {
        ref var seen = ref CollectionsMarshal.GetValueRefOrNullRef(_flows, tuple);
        if (!Unsafe.IsNullRef(ref seen))
        {
            seen = new FlowSeen(flowId, _newestMicros, confirmed ?? seen.Confirmed);
            return;
        }
        if (_flows.Count >= _flowCapacity)
            ForgetQuietFlows();
        _flows.Add(tuple, new FlowSeen(flowId, _newestMicros, confirmed ?? false));
    }

    /// <summary>
    /// Frees a quarter of the tuples: the idle ones, then ever more recent ones. Amortized over the quarter it frees,
    /// so a flood of new conversations costs little per packet.
    /// </summary>
    private void ForgetQuietFlows()
    {
        var target = _flowCapacity * 3 / 4;
        for (var idle = _flowIdleMicros; idle > 0 && _flows.Count > target; idle /= 4)
        {
            var cutoff = _newestMicros - idle;
            foreach (var (tuple, seen) in _flows)
                if (seen.LastSeenMicros < cutoff)
                    _flows.Remove(tuple);
        }
        // All equally recent (a burst, or a conntrack listing): any of them.
        foreach (var (tuple, _) in _flows)
        {
            if (_flows.Count <= target)
                break;
            _flows.Remove(tuple);
        }
    }

    private long NewFlow() => ++_lastFlowId;

    private long Resolve(long flowId)
    {
        // Merges point from newer to older ids, so this ends; the bound only caps the cost.
        for (var hops = 0; hops < 32 && flowId > 0; hops++)
        {
            ref readonly var merged = ref _mergedInto[flowId % _mergedInto.Length];
            if (merged.Id != flowId)
                break;
            flowId = merged.Into;
        }
        return flowId;
    }

    /// <summary>Two flow ids turned out to be one conversation: the older id stays.</summary>
    private long Merge(long one, long other)
    {
        (one, other) = (Resolve(one), Resolve(other));
        if (one == other)
            return one;
        var (kept, merged) = one < other ? (one, other) : (other, one);
        _mergedInto[merged % _mergedInto.Length] = new MergedFlow(merged, kept);
        return kept;
    }

    private static bool TryTuple(ConntrackEntry entry, ConntrackTuple side, out FlowTuple tuple)
    {
        tuple = default;
        if (side.Source.AddressFamily != AddressFamily.InterNetwork || side.Destination.AddressFamily != AddressFamily.InterNetwork)
            return false;
        var (source, destination) = (Ipv4(side.Source), Ipv4(side.Destination));
        if (entry.ProtocolNumber == PacketHeaders.Icmp && side.Icmp is { Type: 0 or 8 } icmp)
            tuple = FlowTuple.Between(PacketHeaders.Icmp, source, icmp.Id, destination, icmp.Id);
        else if (entry.ProtocolNumber is PacketHeaders.Tcp or PacketHeaders.Udp && side is { SourcePort: { } sport, DestinationPort: { } dport })
            tuple = FlowTuple.Between(entry.ProtocolNumber, source, sport, destination, dport);
        else
            return false;
        return true;
    }

    private static uint Ipv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private readonly record struct FlowSeen(long FlowId, long LastSeenMicros, bool Confirmed);

    private readonly record struct MergedFlow(long Id, long Into);
}

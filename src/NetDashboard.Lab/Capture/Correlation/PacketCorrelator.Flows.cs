using NetDashboard.Lab.Model;
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
    // A fragmented packet's flow by its IP id, from its first fragment (the only one with ports) for the later ones.
    // Direct-mapped: a slot another packet takes costs that packet's later fragments their flow, nothing more.
    private readonly FragmentFlow[] _fragments = new FragmentFlow[1024];
    private long _lastFlowId;

    /// <summary>
    /// Takes one conntrack entry: its original tuple (as the guest sent) and reply tuple (as the answer comes back,
    /// NAT applied) are one conversation. Entries for other than IPv4 ICMP echo, TCP and UDP are ignored.
    /// </summary>
    public void ObserveConntrack(ConntrackEntry entry)
    {
        if (!TryTuple(entry.ProtocolNumber, entry.Original, out var original) || !TryTuple(entry.ProtocolNumber, entry.Reply, out var reply))
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

    /// <summary>
    /// The flow of <paramref name="entry"/>'s connection, resolved; 0 when none of its packets or events is remembered.
    /// </summary>
    private long FlowOf(NatEntry entry) =>
        TryTuple(entry.ProtocolNumber, entry.Original, out var original) && Seen(original).FlowId is not 0 and var flow ? flow
        : TryTuple(entry.ProtocolNumber, entry.Reply, out var reply) ? Seen(reply).FlowId : 0;

    /// <summary>
    /// Whether a row of flow <paramref name="rowFlow"/> (as the correlator knew it when the row was captured) belongs
    /// to <paramref name="entry"/>'s connection: its packets before and after NAT, its ICMP errors and fragments, and
    /// nothing else, however alike its addresses.
    /// </summary>
    public bool Holds(NatEntry entry, long rowFlow)
    {
        if (rowFlow == 0)
            return false;
        lock (_gate)
            return FlowOf(entry) is not 0 and var flow && Resolve(rowFlow) == flow;
    }

    /// <summary>
    /// The packets of each entry's connection that the correlator still holds, each counted once however many
    /// interfaces it crossed, in the original direction (as the guest sent) and the reply direction; null for a
    /// connection it does not follow (only TCP, UDP and ICMP echo). Looks through every group held: for a table
    /// refreshed twice a second, not per packet.
    /// </summary>
    public IReadOnlyList<FlowPackets?> PacketsOf(IReadOnlyList<NatEntry> entries)
    {
        var counts = new FlowPackets?[entries.Count];
        lock (_gate)
        {
            var byFlow = new Dictionary<long, int>(entries.Count);
            for (var i = 0; i < entries.Count; i++)
            {
                if (!TryTuple(entries[i].ProtocolNumber, entries[i].Original, out _))
                    continue;
                counts[i] = default(FlowPackets);
                if (FlowOf(entries[i]) is not 0 and var flow)
                    byFlow.TryAdd(flow, i);
            }
            for (var slot = 0; slot < _groups.Length && byFlow.Count > 0; slot++)
            {
                ref var group = ref _groups[slot];
                if (group.Id == 0 || group.Count == 0 || !byFlow.TryGetValue(Resolve(group.FlowId), out var index))
                    continue;
                var count = counts[index]!.Value;
                counts[index] = IsOriginalDirection(entries[index], _hops[group.Hops[0]].Headers)
                    ? count with { Original = count.Original + 1 } : count with { Reply = count.Reply + 1 };
            }
        }
        return counts;
    }

    /// <summary>From the original tuple's source to its destination, before NAT (as sent) or after (the reply tuple reversed).</summary>
    private static bool IsOriginalDirection(NatEntry entry, in PacketHeaders headers)
    {
        var (source, destination) = (Ipv4(entry.Original.Source), Ipv4(entry.Original.Destination));
        var (replySource, replyDestination) = (Ipv4(entry.Reply.Source), Ipv4(entry.Reply.Destination));
        return (headers.Source == source && headers.Destination == destination) || (headers.Source == replyDestination && headers.Destination == replySource);
    }

    /// <summary>The flow of a later fragment, by its first fragment; none when that was not seen within the window.</summary>
    private FlowSeen FragmentSeen(in PacketHeaders headers)
    {
        var key = FragmentKey.Of(headers);
        ref readonly var fragment = ref _fragments[key.Slot(_fragments.Length)];
        return fragment.Key == key && fragment.Micros >= _newestMicros - _windowMicros ? new FlowSeen(Resolve(fragment.FlowId), fragment.Micros, false) : default;
    }

    private void RememberFragment(in PacketHeaders headers, long flowId)
    {
        var key = FragmentKey.Of(headers);
        _fragments[key.Slot(_fragments.Length)] = new FragmentFlow(key, flowId, _newestMicros);
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

    private static bool TryTuple(byte protocol, ConntrackTuple side, out FlowTuple tuple)
    {
        tuple = default;
        if (side.Source.AddressFamily != AddressFamily.InterNetwork || side.Destination.AddressFamily != AddressFamily.InterNetwork)
            return false;
        var (source, destination) = (Ipv4(side.Source), Ipv4(side.Destination));
        if (protocol == PacketHeaders.Icmp && side.Icmp is { Type: 0 or 8 } icmp)
            tuple = FlowTuple.Between(PacketHeaders.Icmp, source, icmp.Id, destination, icmp.Id);
        else if (protocol is PacketHeaders.Tcp or PacketHeaders.Udp && side is { SourcePort: { } sport, DestinationPort: { } dport })
            tuple = FlowTuple.Between(protocol, source, sport, destination, dport);
        else
            return false;
        return true;
    }

    private static uint Ipv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out var written) && written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
    }

    /// <summary>What the fragments of one packet share, whatever their offset: IP id, protocol and addresses.</summary>
    private readonly record struct FragmentKey(uint Source, uint Destination, ushort IpId, byte Protocol)
    {
        public static FragmentKey Of(in PacketHeaders headers) => new(headers.Source, headers.Destination, headers.IpId, headers.Protocol);

        public int Slot(int slots) =>
            (int)(Hash64.Avalanche(Hash64.Mix(Hash64.Start(Source | (ulong)Destination << 32), IpId | (ulong)Protocol << 16)) % (ulong)slots);
    }

    private readonly record struct FragmentFlow(FragmentKey Key, long FlowId, long Micros);

    private readonly record struct FlowSeen(long FlowId, long LastSeenMicros, bool Confirmed);

    private readonly record struct MergedFlow(long Id, long Into);
}

using NetDashboard.Lab.Model;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// Links the packets of one lab seen on several interfaces: a bridged hop by its identical frame, a routed or NATed
/// hop by its <see cref="PacketHeaders.NatInvariantKey"/>, and both directions of a conversation into one flow, by
/// the tuples each interface sees and conntrack's original and reply tuples (an ICMP error by the packet it quotes,
/// a later fragment by its first). Each capture may be observed from its own thread; hops may arrive out of order,
/// and are ordered by kernel time when asked for. Two captures of one interface (another filter) see the same
/// packets: a packet has one hop per interface, whichever capture saw it. Bounded in time and size; observing
/// allocates nothing.
/// </summary>
public sealed partial class PacketCorrelator
{
    /// <summary>Interfaces one group can hold; a ninth starts a new group.</summary>
    private const int MaxHopsPerGroup = 8;
    private const int MaxInterfaces = 64;
    private const int MaxCaptures = 64;
    /// <summary>Candidates examined per key: a flood of identical frames costs this much, not the whole window.</summary>
    private const int MaxCandidates = 32;

    private readonly Lock _gate = new();
    private readonly long _windowMicros;
    private readonly Hop[] _hops;
    private readonly Group[] _groups;
    // Key → observation number of the newest hop with it; each hop links to the next older one.
    private readonly Dictionary<ulong, long> _byFrame;
    private readonly Dictionary<ulong, long> _byInvariant;
    private readonly Dictionary<InterfaceRef, byte> _interfaces = [];
    private readonly List<InterfaceRef> _interfaceKeys = [];
    private readonly Dictionary<InterfaceRef, string> _unfilteredKeys = [];
    private readonly Dictionary<string, byte> _captures = [];
    private readonly string?[] _captureKeys = new string?[MaxCaptures];
    private readonly long[] _captureLastMicros = new long[MaxCaptures];
    private long _observed;   // observation number of the newest hop, from 1
    private long _oldest = 1; // observation number of the oldest hop held
    private long _oldestIndexed = 1; // of the oldest hop a new one may still join (within the window)
    private long _lastGroupId;
    private long _newestMicros;

    public PacketCorrelator(CorrelationOptions? options = null)
    {
        options = (options ?? new CorrelationOptions()).Checked();
        _windowMicros = (long)options.Window.TotalMicroseconds;
        _flowIdleMicros = (long)options.FlowIdle.TotalMicroseconds;
        _flowCapacity = options.FlowCapacity;
        _hops = new Hop[options.Capacity];
        _groups = new Group[options.Capacity];
        // Sized once: there are never more keys than hops, so adding never grows them.
        _byFrame = new Dictionary<ulong, long>(options.Capacity);
        _byInvariant = new Dictionary<ulong, long>(options.Capacity);
        _flows = new Dictionary<FlowTuple, FlowSeen>(options.FlowCapacity + 1);
        _mergedInto = new MergedFlow[2 * options.FlowCapacity];
    }

    /// <summary>
    /// Takes one captured packet. <paramref name="interfaceKey"/> names the interface (host/tap0); one lab has at
    /// most 64. Returns <see cref="PacketCorrelation.None"/> for a frame shorter than an Ethernet header.
    /// </summary>
    /// <param name="sequence">The row's number in its capture, handed back by <see cref="Journey"/>.</param>
    public PacketCorrelation Observe(InterfaceRef interfaceKey, long sequence, long timestampMicros, ReadOnlySpan<byte> frame) =>
        Observe(interfaceKey, CaptureKeyOf(interfaceKey), sequence, timestampMicros, frame);

    // The unfiltered capture of an interface is named like it; written once, so a packet costs no string.
    private string CaptureKeyOf(InterfaceRef interfaceKey)
    {
        if (_unfilteredKeys.TryGetValue(interfaceKey, out var key)) return key;
        key = interfaceKey.ToString();
        if (_unfilteredKeys.Count < MaxInterfaces) _unfilteredKeys[interfaceKey] = key;
        return key;
    }

    /// <summary>
    /// As <see cref="Observe(string, long, long, ReadOnlySpan{byte})"/>, from one of several captures of the
    /// interface: <paramref name="captureKey"/> tells them apart ("host/tap0 [icmp]").
    /// </summary>
    internal PacketCorrelation Observe(InterfaceRef interfaceKey, string captureKey, long sequence, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<ObservedPacket> packet = [ObservedPacket.Read(sequence, timestampMicros, frame)];
        Span<PacketCorrelation> link = [default];
        Observe(interfaceKey, captureKey, packet, link);
        return link[0];
    }

    /// <summary>
    /// Takes a capture's packets read since its last call, in its order, under one hold of the lock: the decoding
    /// workers of a lab's captures would otherwise contend for it on every packet. <paramref name="links"/> gets
    /// what <see cref="Observe(string, long, long, ReadOnlySpan{byte})"/> would return for each.
    /// </summary>
    internal void Observe(InterfaceRef interfaceKey, string captureKey, ReadOnlySpan<ObservedPacket> packets, Span<PacketCorrelation> links)
    {
        lock (_gate)
        {
            var source = InterfaceIndex(interfaceKey) is { } iface && CaptureIndex(captureKey, packets) is { } capture
                ? new Source(iface, capture) : (Source?)null;
            for (var i = 0; i < packets.Length; i++)
                links[i] = source is { } from && packets[i].IsFrame ? ObserveOne(from, in packets[i]) : PacketCorrelation.None;
        }
    }

    private PacketCorrelation ObserveOne(Source from, in ObservedPacket packet)
    {
        var headers = packet.Headers;
        _newestMicros = Math.Max(_newestMicros, packet.TimestampMicros);
        _captureLastMicros[from.Capture] = Math.Max(_captureLastMicros[from.Capture], packet.TimestampMicros);
        MakeRoom();

        var seen = packet.HasTuple ? Seen(packet.Tuple) : headers.IsFragment ? FragmentSeen(headers) : default;
        var groupSlot = FindGroup(_byFrame, headers.BridgedKey, from, packet.TimestampMicros, seen, bridged: true);
        if (groupSlot < 0 && packet.InvariantKey != 0)
            groupSlot = FindGroup(_byInvariant, packet.InvariantKey, from, packet.TimestampMicros, seen, bridged: false);
        if (groupSlot < 0)
            groupSlot = NewGroup(seen.FlowId);
        ref var group = ref _groups[groupSlot];

        var flow = Resolve(group.FlowId);
        if (packet.HasTuple || seen.FlowId != 0)
        {
            if (flow == 0)
                flow = seen.FlowId != 0 ? seen.FlowId : NewFlow();
            else if (seen.FlowId != 0 && seen.FlowId != flow)
                flow = Merge(flow, seen.FlowId); // the same packet under another tuple (NAT): one conversation
            group.FlowId = flow;
            if (packet.HasTuple)
                Remember(packet.Tuple, flow, confirmed: null);
        }
        if (packet.HasTuple && headers is { IsFragment: true, FragmentOffset: 0 })
            RememberFragment(headers, flow);
        // Another capture of an interface the packet was seen on saw the same packet: one hop, whichever came first.
        if ((group.Interfaces & Bit(from.Interface)) == 0)
            AddHop(ref group, from.Interface, packet.Sequence, packet.TimestampMicros, headers, packet.InvariantKey);
        group.Captures |= Bit(from.Capture);
        return new PacketCorrelation(group.Id, flow);
    }

    /// <summary>
    /// On how many interfaces the group's packet was seen (however many captures each has); 0 once it is forgotten.
    /// Cheap, for a row's badge.
    /// </summary>
    public int InterfaceCount(long groupId)
    {
        lock (_gate)
            return LiveGroup(groupId) is >= 0 and var slot ? _groups[slot].Count : 0;
    }

    private byte? InterfaceIndex(InterfaceRef interfaceKey)
    {
        if (_interfaces.TryGetValue(interfaceKey, out var index))
            return index;
        if (_interfaceKeys.Count == MaxInterfaces)
            return null;
        index = (byte)_interfaceKeys.Count;
        _interfaces.Add(interfaceKey, index);
        _interfaceKeys.Add(interfaceKey);
        return index;
    }

    /// <summary>
    /// The capture's bit. A pane that changes its filter opens another capture each time, so a bit is handed on once
    /// its capture has seen nothing for longer than the window: no group it is in can be joined any more.
    /// </summary>
    private byte? CaptureIndex(string captureKey, ReadOnlySpan<ObservedPacket> packets)
    {
        if (_captures.TryGetValue(captureKey, out var index))
            return index;
        var now = Math.Max(_newestMicros, packets.IsEmpty ? 0 : packets[0].TimestampMicros);
        for (var i = 0; i < MaxCaptures; i++)
        {
            if (_captureKeys[i] is not null && _captureLastMicros[i] >= now - _windowMicros)
                continue;
            if (_captureKeys[i] is { } idle)
                _captures.Remove(idle);
            index = (byte)i;
            _captures.Add(captureKey, index);
            (_captureKeys[i], _captureLastMicros[i]) = (captureKey, now);
            return index;
        }
        return null;
    }

    /// <summary>
    /// The group this hop belongs to among those with the same key: one not yet seen by this capture (a packet seen
    /// twice by one capture is two packets) nor, unless by its identical frame, on this interface; within the window,
    /// of the same flow when that is known, else the nearest in time. Groups whose conntrack-confirmed flow differs
    /// from the hop's are never joined.
    /// </summary>
    private int FindGroup(Dictionary<ulong, long> index, ulong key, Source from, long micros, FlowSeen seen, bool bridged)
    {
        if (!index.TryGetValue(key, out var observation))
            return -1;
        var (best, bestGap, bestSameFlow) = (-1, long.MaxValue, false);
        for (var examined = 0; observation != 0 && examined < MaxCandidates; examined++)
        {
            if (observation < _oldestIndexed)
                break; // out of the window, and every older one with it
            ref var hop = ref _hops[Slot(observation)];
            var gap = Math.Abs(micros - hop.TimestampMicros);
            if (gap <= _windowMicros && LiveGroup(hop.GroupId) is >= 0 and var slot && CanJoin(ref _groups[slot], from, bridged))
            {
                var sameFlow = seen.FlowId != 0 && Resolve(_groups[slot].FlowId) == seen.FlowId;
                // Conntrack tells two conversations apart where the packets cannot: two guests' identical pings.
                var apart = !sameFlow && seen.Confirmed && IsConfirmed(hop.Headers);
                if (!apart && (best < 0 || (sameFlow && !bestSameFlow) || (sameFlow == bestSameFlow && gap < bestGap)))
                    (best, bestGap, bestSameFlow) = (slot, gap, sameFlow);
            }
            observation = bridged ? hop.NextSameFrame : hop.NextSameInvariant;
        }
        return best;
    }

    private static bool CanJoin(ref Group group, Source from, bool bridged) =>
        (group.Captures & Bit(from.Capture)) == 0
        && ((group.Interfaces & Bit(from.Interface)) != 0 ? bridged : group.Count < MaxHopsPerGroup);

    /// <summary>An interface's or a capture's bit: each has at most 64.</summary>
    private static ulong Bit(byte index) => 1UL << index;

    private int NewGroup(long flowId)
    {
        var id = ++_lastGroupId;
        var slot = (int)(id % _groups.Length);
        // A group still in this slot is older than every group since; its hops that remain are orphans now.
        _groups[slot] = new Group { Id = id, FlowId = flowId };
        return slot;
    }

    private void AddHop(ref Group group, byte iface, long sequence, long micros, in PacketHeaders headers, ulong invariantKey)
    {
        var observation = ++_observed;
        var slot = Slot(observation);
        _hops[slot] = new Hop
        {
            Observation = observation,
            GroupId = group.Id,
            Interface = iface,
            Sequence = sequence,
            TimestampMicros = micros,
            InvariantKey = invariantKey,
            Headers = headers,
            NextSameFrame = Link(_byFrame, headers.BridgedKey, observation),
            NextSameInvariant = invariantKey != 0 ? Link(_byInvariant, invariantKey, observation) : 0,
        };
        group.Hops[group.Count++] = slot;
        group.Interfaces |= Bit(iface);
    }

    /// <summary>Makes the hop the newest with its key and returns the one it displaces.</summary>
    private static long Link(Dictionary<ulong, long> index, ulong key, long observation)
    {
        ref var newest = ref CollectionsMarshal.GetValueRefOrAddDefault(index, key, out _);
        var older = newest;
        newest = observation;
        return older;
    }

    /// <summary>
    /// Takes hops older than the window (by the newest kernel time seen) out of the keys, so nothing joins them any
    /// more; forgets the oldest hop only when the ring is full. A packet's journey and count outlive the window: a
    /// person clicks a row seconds after it came.
    /// </summary>
    private void MakeRoom()
    {
        var cutoff = _newestMicros - _windowMicros;
        while (_oldestIndexed <= _observed && (IsFull(_oldestIndexed) || _hops[Slot(_oldestIndexed)].TimestampMicros < cutoff))
            Unindex(_oldestIndexed++);
        while (_oldest <= _observed && IsFull(_oldest))
            Forget(_oldest++);
    }

    private bool IsFull(long oldest) => _observed - oldest + 1 >= _hops.Length;

    private void Unindex(long observation)
    {
        ref var hop = ref _hops[Slot(observation)];
        // The oldest hop is the newest with its key only when it is the last one.
        Unlink(_byFrame, hop.Headers.BridgedKey, observation);
        if (hop.InvariantKey != 0)
            Unlink(_byInvariant, hop.InvariantKey, observation);
    }

    /// <summary>Drops a hop already out of the keys from its group, and its slot.</summary>
    private void Forget(long observation)
    {
        ref var hop = ref _hops[Slot(observation)];
        if (LiveGroup(hop.GroupId) is >= 0 and var groupSlot)
        {
            ref var group = ref _groups[groupSlot];
            var slot = Slot(observation);
            for (var i = 0; i < group.Count; i++)
            {
                if (group.Hops[i] != slot)
                    continue;
                group.Hops[i] = group.Hops[--group.Count];
                group.Interfaces &= ~Bit(hop.Interface);
                break;
            }
            if (group.Count == 0)
                group = default;
        }
        hop = default;
    }

    private static void Unlink(Dictionary<ulong, long> index, ulong key, long observation)
    {
        ref var newest = ref CollectionsMarshal.GetValueRefOrNullRef(index, key);
        if (!Unsafe.IsNullRef(ref newest) && newest == observation)
            index.Remove(key);
    }

    private int LiveGroup(long groupId)
    {
        if (groupId <= 0)
            return -1;
        var slot = (int)(groupId % _groups.Length);
        return _groups[slot].Id == groupId ? slot : -1;
    }

    private int Slot(long observation) => (int)(observation % _hops.Length);

    /// <summary>One packet on one interface.</summary>
    private struct Hop
    {
        public long Observation;
        public long GroupId;
        public long Sequence;
        public long TimestampMicros;
        public long NextSameFrame;
        public long NextSameInvariant;
        public ulong InvariantKey;
        public PacketHeaders Headers;
        public byte Interface;
    }

    /// <summary>One packet: its hops (slots in the hop ring), one per interface.</summary>
    private struct Group
    {
        public long Id;
        public long FlowId;
        public int Count;
        /// <summary>A bit per interface it was seen on (at most one hop each): joining is checked without the hops.</summary>
        public ulong Interfaces;
        /// <summary>A bit per capture that saw it (several captures of one interface share its hop).</summary>
        public ulong Captures;
        public HopSlots Hops;
    }

    /// <summary>Where a packet was seen: the interface, and which of its captures.</summary>
    private readonly record struct Source(byte Interface, byte Capture);

    [InlineArray(MaxHopsPerGroup)]
    private struct HopSlots
    {
        private int _slot;
    }
}

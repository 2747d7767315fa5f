using NetDashboard.Lab.Model;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace NetDashboard.Lab.Capture.Correlation;

public sealed partial class PacketCorrelator
{
    /// <summary>
    /// The group's hops in kernel time order, with what changed at each, and the groups that answered it; null once
    /// the group is forgotten. Looks through every group held for the answers: for a person's click, not per packet.
    /// </summary>
    public PacketJourney? Journey(long groupId)
    {
        lock (_gate)
        {
            if (LiveGroup(groupId) is not (>= 0 and var slot))
                return null;
            var hops = HopsInTimeOrder(ref _groups[slot]);
            var first = _hops[hops[0]].TimestampMicros;
            var journey = new List<JourneyHop>(hops.Length);
            for (var i = 0; i < hops.Length; i++)
            {
                ref var hop = ref _hops[hops[i]];
                journey.Add(new JourneyHop(_interfaceKeys[hop.Interface], hop.Sequence, hop.TimestampMicros, hop.TimestampMicros - first,
                    i == 0 ? [] : Changes(_hops[hops[i - 1]].Headers, hop.Headers)));
            }
            var flow = Resolve(_groups[slot].FlowId);
            return new PacketJourney(groupId, flow, journey, flow == 0 ? [] : Answers(slot, hops, flow));
        }
    }

    private int[] HopsInTimeOrder(ref Group group)
    {
        var slots = new int[group.Count];
        for (var i = 0; i < slots.Length; i++)
            slots[i] = group.Hops[i];
        Array.Sort(slots, (a, b) => (_hops[a].TimestampMicros, _hops[a].Observation).CompareTo((_hops[b].TimestampMicros, _hops[b].Observation)));
        return slots;
    }

    /// <summary>
    /// Groups of the same flow, later within the window, that answer the request: echo replies with its sequence and
    /// data, the TCP segments that acknowledge it, for UDP the first datagram the other way, or an ICMP error that
    /// quotes it.
    /// </summary>
    private List<long> Answers(int requestSlot, int[] requestHops, long flow)
    {
        ref readonly var request = ref _hops[requestHops[0]];
        var answers = new List<(long Micros, long GroupId)>();
        for (var slot = 0; slot < _groups.Length; slot++)
        {
            ref var group = ref _groups[slot];
            if (group.Id == 0 || slot == requestSlot || Resolve(group.FlowId) != flow)
                continue;
            var hops = HopsInTimeOrder(ref group);
            ref readonly var answer = ref _hops[hops[0]];
            var delay = answer.TimestampMicros - request.TimestampMicros;
            if (delay > 0 && delay <= _windowMicros && IsAnswer(request.Headers, answer.Headers, Reversed(requestHops, hops)))
                answers.Add((answer.TimestampMicros, group.Id));
        }
        answers.Sort();
        var ids = answers.Select(a => a.GroupId);
        return (request.Headers.Protocol == PacketHeaders.Udp ? ids.Take(1) : ids).ToList();
    }

    private static bool IsAnswer(in PacketHeaders request, in PacketHeaders answer, bool? reversed)
    {
        // A router on the way may send the error (its source is neither end): the quote says which packet it answers.
        if (answer.HasQuote)
            return request.Depth >= HeaderDepth.Ipv4 && answer.QuotedProtocol == request.Protocol && answer.QuotedIpId == request.IpId;
        if (request.Depth != HeaderDepth.Transport || answer.Depth != HeaderDepth.Transport || request.Protocol != answer.Protocol || reversed == false)
            return false;
        return request.Protocol switch
        {
            PacketHeaders.Icmp => request is { IsIcmpEcho: true, IcmpType: 8 } && answer is { IsIcmpEcho: true, IcmpType: 0 }
                && answer.IcmpSequence == request.IcmpSequence && answer.PayloadHash == request.PayloadHash,
            // A bare ACK asks for nothing; any segment that takes sequence space is acknowledged past its end.
            PacketHeaders.Tcp => request.TcpSequenceEnd != request.TcpSequence && (answer.TcpFlags & PacketHeaders.TcpAck) != 0
                && answer.TcpAcknowledgment == request.TcpSequenceEnd,
            PacketHeaders.Udp => reversed == true,
            _ => false,
        };
    }

    /// <summary>Whether the answer goes the other way on an interface both crossed; null when they share none.</summary>
    private bool? Reversed(int[] requestHops, int[] answerHops)
    {
        foreach (var r in requestHops)
        {
            foreach (var a in answerHops)
            {
                ref readonly var request = ref _hops[r];
                ref readonly var answer = ref _hops[a];
                if (request.Interface == answer.Interface)
                    return answer.Headers.Source == request.Headers.Destination && answer.Headers.Destination == request.Headers.Source;
            }
        }
        return null;
    }

    /// <summary>The fields that differ between two hops of one packet (also for pcapng comments).</summary>
    internal static List<FieldChange> Changes(in PacketHeaders before, in PacketHeaders after)
    {
        var changes = new List<FieldChange>();
        if (before.SourceMac != after.SourceMac)
            changes.Add(new(HeaderField.SourceMac, Mac(before.SourceMac), Mac(after.SourceMac)));
        if (before.DestinationMac != after.DestinationMac)
            changes.Add(new(HeaderField.DestinationMac, Mac(before.DestinationMac), Mac(after.DestinationMac)));
        if (before.Depth < HeaderDepth.Ipv4 || after.Depth < HeaderDepth.Ipv4)
            return changes;
        if (before.Source != after.Source)
            changes.Add(new(HeaderField.Source, Address(before.Source), Address(after.Source)));
        if (before.Destination != after.Destination)
            changes.Add(new(HeaderField.Destination, Address(before.Destination), Address(after.Destination)));
        if (before.Ttl != after.Ttl)
            changes.Add(new(HeaderField.Ttl, Number(before.Ttl), Number(after.Ttl)));
        if (before.IsIcmpEcho && after.IsIcmpEcho && before.IcmpId != after.IcmpId)
            changes.Add(new(HeaderField.IcmpId, Number(before.IcmpId), Number(after.IcmpId)));
        if (before.Depth == HeaderDepth.Transport && after.Depth == HeaderDepth.Transport && before.Protocol is PacketHeaders.Tcp or PacketHeaders.Udp)
        {
            if (before.SourcePort != after.SourcePort)
                changes.Add(new(HeaderField.SourcePort, Number(before.SourcePort), Number(after.SourcePort)));
            if (before.DestinationPort != after.DestinationPort)
                changes.Add(new(HeaderField.DestinationPort, Number(before.DestinationPort), Number(after.DestinationPort)));
        }
        if (before.HasQuote && after.HasQuote)
            QuoteChanges(before, after, changes);
        return changes;
    }

    /// <summary>NAT rewrites the packet an ICMP error quotes as it rewrites the packet's answers: the other way.</summary>
    private static void QuoteChanges(in PacketHeaders before, in PacketHeaders after, List<FieldChange> changes)
    {
        if (before.QuotedSource != after.QuotedSource)
            changes.Add(new(HeaderField.QuotedSource, Address(before.QuotedSource), Address(after.QuotedSource)));
        if (before.QuotedDestination != after.QuotedDestination)
            changes.Add(new(HeaderField.QuotedDestination, Address(before.QuotedDestination), Address(after.QuotedDestination)));
        if (before.QuotedProtocol == PacketHeaders.Icmp)
        {
            if (before.QuotedSourcePort != after.QuotedSourcePort)
                changes.Add(new(HeaderField.QuotedIcmpId, Number(before.QuotedSourcePort), Number(after.QuotedSourcePort)));
            return;
        }
        if (before.QuotedSourcePort != after.QuotedSourcePort)
            changes.Add(new(HeaderField.QuotedSourcePort, Number(before.QuotedSourcePort), Number(after.QuotedSourcePort)));
        if (before.QuotedDestinationPort != after.QuotedDestinationPort)
            changes.Add(new(HeaderField.QuotedDestinationPort, Number(before.QuotedDestinationPort), Number(after.QuotedDestinationPort)));
    }

    private static string Mac(ulong mac)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, mac);
        return PacketSummarizer.Mac(bytes[2..]);
    }

    private static string Address(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes).ToString();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Capture.Correlation;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// The correlation of a file of several captures, one line per packet, for its pcapng comment:
/// "flow 1, hop 3/3, source rewritten 192.168.1.3 → 10.180.13.232, TTL 64 → 63". Made from the file alone (the group
/// and flow each row got when it was captured, and the packets' own headers), because the correlator forgets within
/// seconds and a download comes later. So a hop counts among the packet's hops in this file.
/// </summary>
internal static class PacketComments
{
    /// <summary>
    /// A comment for each of <paramref name="packets"/> (in kernel time order), null for one that is linked to nothing
    /// in the file: no group, or neither a flow nor another hop. Flows are numbered 1, 2, … as they first appear.
    /// </summary>
    public static string?[] For(IReadOnlyList<StoredPacket> packets)
    {
        var hops = new Dictionary<long, List<int>>(); // group → its packets' indexes, in time order
        var hopIndex = new int[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            if (packets[i].Group == 0)
                continue;
            if (!hops.TryGetValue(packets[i].Group, out var group))
                hops.Add(packets[i].Group, group = []);
            hopIndex[i] = group.Count;
            group.Add(i);
        }

        var flows = new FlowNumbers();
        var flowOf = new Dictionary<long, long>(hops.Count); // group → a flow id of its hops, 0 for none
        foreach (var (id, group) in hops)
        {
            // A row has the flow id known when it was captured: when a later hop showed two ids to be one
            // conversation, the group's earlier hops still carry the other. A group is one packet, so one flow.
            var flow = group.Select(h => packets[h].Flow).FirstOrDefault(f => f != 0);
            foreach (var i in group)
                flows.Join(flow, packets[i].Flow);
            flowOf.Add(id, flow);
        }

        var comments = new string?[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            if (packets[i].Group == 0)
                continue;
            var group = hops[packets[i].Group];
            var flow = flowOf[packets[i].Group];
            if (flow == 0 && group.Count == 1)
                continue;
            var parts = new List<string>();
            if (flow != 0)
                parts.Add($"flow {flows.Number(flow)}");
            parts.Add($"hop {hopIndex[i] + 1}/{group.Count}");
            if (hopIndex[i] > 0)
                parts.AddRange(Changes(packets[group[hopIndex[i] - 1]], packets[i]));
            comments[i] = string.Join(", ", parts);
        }
        return comments;
    }

    /// <summary>What NAT rewrote since the previous hop, and the TTL when a router took from it; not the MACs.</summary>
    private static IEnumerable<string> Changes(StoredPacket before, StoredPacket after)
    {
        if (!PacketHeaderReader.TryRead(before.Data, out var a) || !PacketHeaderReader.TryRead(after.Data, out var b))
            return [];
        return PacketCorrelator.Changes(a, b)
            .Where(c => c.IsRewrite || c.Field == HeaderField.Ttl)
            .Select(c => c.IsRewrite ? $"{c.FieldName} rewritten {c}" : c.Describe());
    }

    /// <summary>Flow ids joined into conversations, each numbered by its first appearance.</summary>
    private sealed class FlowNumbers
    {
        private readonly Dictionary<long, long> _joined = []; // id → an id of the same conversation, towards its root
        private readonly Dictionary<long, int> _numbers = [];

        public void Join(long one, long other)
        {
            if (one == 0 || other == 0)
                return;
            var (a, b) = (Root(one), Root(other));
            if (a != b)
                _joined[Math.Max(a, b)] = Math.Min(a, b);
        }

        public int Number(long flow)
        {
            var root = Root(flow);
            if (!_numbers.TryGetValue(root, out var number))
                _numbers.Add(root, number = _numbers.Count + 1);
            return number;
        }

        private long Root(long flow)
        {
            while (_joined.TryGetValue(flow, out var older))
                flow = older;
            return flow;
        }
    }
}

namespace NetDashboard.Lab.Trace;

/// <summary>A packet the kernel dropped that was (or may have been) the probe.</summary>
/// <param name="Reason">The kernel's drop reason ("NETFILTER_DROP").</param>
/// <param name="Location">The function that dropped it ("nft_do_chain+0x46f/0x690").</param>
/// <param name="LastDevice">The interface the packet was last queued or received on before the drop.</param>
/// <param name="UnixMicros">When it was dropped, in microseconds since the Unix epoch.</param>
/// <param name="Certain">
/// True when the packet's path crossed one of the probe's interfaces at a time the probe was captured there; false when
/// only an interface name matched (every lab has an eth0, so that may be another lab's packet).
/// </param>
public sealed record KernelDrop(string Reason, string Location, string? LastDevice, long UnixMicros, bool Certain);

/// <summary>
/// Which of the kernel's drops were the probe's. The kernel sees every namespace's packets and names an interface
/// without its namespace, so a drop is tied to the probe by the skb's path (the same buffer address queued and received
/// before it was freed) meeting the probe's captures in place and time.
/// </summary>
public static class KernelDropMatch
{
    private const int Ipv4 = 0x0800;

    /// <param name="events">Events in the order the kernel recorded them.</param>
    /// <param name="probeSeen">Where and when the probe was captured.</param>
    /// <param name="slack">How far a path event's time may be from a capture's (the two clocks stamp at different places).</param>
    public static IReadOnlyList<KernelDrop> Match(IReadOnlyList<KernelSkbEvent> events, IReadOnlyList<(string Device, long UnixMicros)> probeSeen,
        TimeSpan slack)
    {
        var slackMicros = (long)slack.TotalMicroseconds;
        var devices = probeSeen.Select(p => p.Device).ToHashSet(StringComparer.Ordinal);
        // The path of each live buffer; a free ends it, so a reused address starts a new one.
        var paths = new Dictionary<string, List<KernelSkbEvent>>(StringComparer.Ordinal);
        var drops = new List<KernelDrop>();
        foreach (var e in events.OrderBy(e => e.UnixMicros))
        {
            if (e.Event != "kfree_skb")
            {
                if (e.Device is not null)
                    (paths.TryGetValue(e.Skb, out var path) ? path : paths[e.Skb] = []).Add(e);
                continue;
            }
            if (!paths.Remove(e.Skb, out var steps) || e.Reason is not { } reason || e.Location is not { } location) continue;
            // Only an IPv4 packet can be the probe; a buffer of another kind reusing the address of one the probe had is not.
            if (e.Protocol is { } protocol && protocol != Ipv4) continue;
            var certain = steps.Any(s => probeSeen.Any(p => p.Device == s.Device && Math.Abs(s.UnixMicros - p.UnixMicros) <= slackMicros));
            if (certain || steps.Any(s => devices.Contains(s.Device!)))
                drops.Add(new KernelDrop(reason, location, steps[^1].Device, e.UnixMicros, certain));
        }
        return drops;
    }
}

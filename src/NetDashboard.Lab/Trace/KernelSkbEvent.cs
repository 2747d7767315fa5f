using System.Globalization;
using System.Text.RegularExpressions;

namespace NetDashboard.Lab.Trace;

/// <summary>
/// One line of a tracefs instance's <c>trace</c> file about a packet buffer (an skb): where the kernel queued it
/// (net_dev_queue), received it (netif_receive_skb) or dropped it and why (kfree_skb).
/// </summary>
/// <param name="UnixMicros">When, in microseconds since the Unix epoch.</param>
/// <param name="Event">"kfree_skb", "netif_receive_skb" or "net_dev_queue".</param>
/// <param name="Skb">The buffer's address as the kernel prints it (hashed, stable within a boot, reused after a free).</param>
/// <param name="Device">The interface, for the two net events.</param>
/// <param name="Length">The length the kernel printed, for the two net events.</param>
/// <param name="Reason">The drop reason's name ("NETFILTER_DROP"), for kfree_skb.</param>
/// <param name="Location">The function that dropped it ("nft_do_chain+0x46f/0x690"), for kfree_skb.</param>
/// <param name="Protocol">The ethertype (2048 is IPv4), for kfree_skb.</param>
public sealed partial record KernelSkbEvent(long UnixMicros, string Event, string Skb, string? Device, int? Length, string? Reason,
    string? Location, int? Protocol)
{
    // "<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <secs>.<fraction>: <event>: <fields>"; the comm may hold spaces and dashes.
    [GeneratedRegex(@"^\s*.+?-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s+(?:[^\s\[]+\s+)?(?<secs>\d+)\.(?<fraction>\d+):\s+(?<event>\w+):\s+(?<fields>.*)$")]
    private static partial Regex Line();

    /// <summary>
    /// The events of a <c>trace</c> file's text; headers (#), other events and lines that do not parse are skipped.
    /// </summary>
    /// <param name="clockMinusUnixMicros">The trace clock's time minus Unix time, in microseconds.</param>
    internal static IReadOnlyList<KernelSkbEvent> ParseAll(string text, long clockMinusUnixMicros) =>
        [.. text.Split('\n').Select(line => Parse(line, clockMinusUnixMicros)).OfType<KernelSkbEvent>()];

    /// <summary>One line's event, or null for a header, another event or a garbled line.</summary>
    internal static KernelSkbEvent? Parse(string line, long clockMinusUnixMicros)
    {
        if (line.StartsWith('#') || Line().Match(line) is not { Success: true } match) return null;
        var name = match.Groups["event"].Value;
        if (name is not ("kfree_skb" or "netif_receive_skb" or "net_dev_queue")) return null;
        if (!long.TryParse(match.Groups["secs"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return null;
        // The fraction is microseconds for the clocks counted in nanoseconds; pad or cut it to six digits either way.
        var fraction = match.Groups["fraction"].Value.PadRight(6, '0')[..6];
        var micros = seconds * 1_000_000 + long.Parse(fraction, CultureInfo.InvariantCulture) - clockMinusUnixMicros;

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? reason = null;
        var tokens = match.Groups["fields"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] == "reason:" && i + 1 < tokens.Length)
                reason = tokens[++i];
            else if (tokens[i].IndexOf('=') is > 0 and var equals)
                fields[tokens[i][..equals]] = tokens[i][(equals + 1)..];
            // %pS names a module's function as "func+0x1/0x2 [module]": the module belongs to the location.
            else if (tokens[i].StartsWith('[') && i > 0 && tokens[i - 1].StartsWith("location=", StringComparison.Ordinal))
                fields["location"] += " " + tokens[i];
        }
        if (!fields.TryGetValue("skbaddr", out var skb)) return null;
        return name == "kfree_skb"
            ? reason is null || !fields.TryGetValue("location", out var location) ? null
                : new KernelSkbEvent(micros, name, skb, null, null, reason, location, NumberOf(fields, "protocol"))
            : fields.TryGetValue("dev", out var device)
                ? new KernelSkbEvent(micros, name, skb, device, NumberOf(fields, "len"), null, null, null)
                : null;
    }

    private static int? NumberOf(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
}

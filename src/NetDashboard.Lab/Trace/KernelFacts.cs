using System.Globalization;
using System.Text.Json;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Trace;

/// <summary>The kernel's answer to "where would you send this packet?" in one namespace (`ip -j route get …`).</summary>
/// <param name="Question">The command as a person types it: "ip route get 203.0.113.5 from 192.168.1.10 iif br0".</param>
/// <param name="Type">local, or null for a plain route; absent when the kernel refused (<see cref="Error"/>).</param>
/// <param name="Error">The kernel's refusal: "Network is unreachable", "Invalid argument" (a blackhole route),
/// "No route to host" (an unreachable route, or forwarding off), "Permission denied" (prohibit),
/// "Invalid cross-device link" (the reverse-path filter).</param>
public sealed record RouteAnswer(InterfaceRef Station, string Question, string? Type, string? Device, string? Gateway, string? Error)
{
    public bool Refused => Error is not null;

    public bool IsLocal => Type == "local";

    /// <summary>The question and the answer, as `ip route get` prints them.</summary>
    public string Text => Error is { } error ? $"{Question} → RTNETLINK answers: {error}"
        : $"{Question} → {(Type is { } type ? $"{type} " : "")}{(Gateway is { } gw ? $"via {gw} " : "")}dev {Device}";

    /// <summary>Reads what `ip -j route get` printed (JSON) or complained (stderr, "RTNETLINK answers: …").</summary>
    public static RouteAnswer Parse(InterfaceRef station, string question, int exitCode, string output, string error)
    {
        if (exitCode != 0)
        {
            var line = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? $"exit code {exitCode}";
            const string Prefix = "RTNETLINK answers: ";
            return new(station, question, null, null, null, line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..] : line);
        }
        try
        {
            using var doc = JsonDocument.Parse(output);
            var first = doc.RootElement.EnumerateArray().FirstOrDefault();
            return new(station, question, Str(first, "type"), Str(first, "dev"), Str(first, "gateway"), null);
        }
        catch (JsonException)
        {
            return new(station, question, null, null, null, $"unreadable answer: {Printable.Quote(output)}");
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// One step of a probe's packet through netfilter in one namespace, as xtables-monitor --trace prints it:
/// <c>TRACE: 2 2a21d953 filter:FORWARD:rule:0x5:DROP  -4 -t filter -A FORWARD -j DROP</c>.
/// </summary>
/// <param name="Rule">The rule as `iptables -S` prints it ("-A FORWARD -j DROP"), null for a chain's policy.</param>
/// <param name="Packet">The packet as the monitor saw it there (IN=br0 OUT=ens160 SRC=… DST=…).</param>
public sealed record NetfilterHit(NamespaceRole Role, string TraceId, string Table, string Chain, string Verdict, string? Rule, string Packet)
{
    public bool Drops => Verdict is "DROP" or "REJECT";

    public bool IsPolicy => Rule is null;

    /// <summary>The packet's source address as the monitor printed it (SRC=…).</summary>
    public string? Source => Field("SRC");

    public string? InInterface => Field("IN");

    public string? OutInterface => Field("OUT");

    public string Text => IsPolicy ? $"{Table}:{Chain}:policy:{Verdict} ({Where})" : $"{Table}:{Chain}:{Verdict} {Rule} ({Where})";

    /// <summary>The packet's way and addresses as the monitor saw them there: "IN=br0 OUT=ens160 SRC=… DST=…".</summary>
    private string Where => string.Join(' ', new[] { "IN", "OUT", "SRC", "DST" }.Select(f => Field(f) is { } v ? $"{f}={v}" : null).OfType<string>());

    private string? Field(string name) =>
        Packet.Split(' ').FirstOrDefault(w => w.StartsWith(name + "=", StringComparison.Ordinal)) is { } word && word.Length > name.Length + 1
            ? word[(name.Length + 1)..] : null;

    /// <summary>Reads xtables-monitor's lines; a TRACE line is paired with the PACKET line before it of the same trace id.</summary>
    public static IReadOnlyList<NetfilterHit> Parse(NamespaceRole role, IEnumerable<string> lines)
    {
        var hits = new List<NetfilterHit>();
        var packets = new Dictionary<string, string>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            var words = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 4) continue;
            if (words[0] == "PACKET:")
            {
                packets[words[2]] = words[3].Trim();
                continue;
            }
            if (words[0] != "TRACE:") continue;
            // "filter:FORWARD:rule:0x5:DROP  -4 -t filter -A FORWARD -j DROP" or "raw:PREROUTING:policy:ACCEPT"
            var rest = words[3];
            var space = rest.IndexOf(' ');
            var where = (space < 0 ? rest : rest[..space]).Split(':');
            if (where.Length < 4) continue;
            string? rule = null;
            if (where[2] == "rule" && space > 0)
            {
                rule = rest[space..].Trim();
                // "-4 -t filter -A FORWARD -j DROP": the family and table are said apart.
                if (rule.StartsWith("-4 ", StringComparison.Ordinal)) rule = rule[3..];
                var table = $"-t {where[0]} ";
                if (rule.StartsWith(table, StringComparison.Ordinal)) rule = rule[table.Length..];
            }
            hits.Add(new(role, words[2], where[0], where[1], where[^1], rule, packets.GetValueOrDefault(words[2], "")));
        }
        return hits;
    }
}

/// <summary>conntrack's counters in one namespace: entries in the table, its limit, and packets dropped for want of room.</summary>
public sealed record ConntrackFill(long Count, long Max, long Drops)
{
    public bool Full => Max > 0 && Count >= Max;

    /// <summary>Sums drop, early_drop and insert_failed over the cpus of `conntrack -S`.</summary>
    public static long DropsOf(string stats) =>
        stats.Split('\n').SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(word => word.Split('='))
            .Where(kv => kv.Length == 2 && kv[0] is "drop" or "early_drop" or "insert_failed")
            .Sum(kv => long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0);
}

/// <summary>A drop the kernel reported for the probe (skb:kfree_skb), placed where the probe was last seen.</summary>
public sealed record ProbeDrop(string Reason, string Location, InterfaceRef? Station, bool Certain)
{
    public string Text => $"{Reason} in {Location}{(Certain ? "" : " (matched by the interface's name only: uncertain)")}";
}

/// <summary>Everything the kernel said about one probe, beside what the captures saw.</summary>
/// <param name="Unavailable">Sources that could not be asked, each in a sentence ("drop reasons: tracefs …").</param>
public sealed record KernelFacts(
    IReadOnlyList<RouteAnswer> Routes,
    IReadOnlyList<NetfilterHit> Netfilter,
    IReadOnlyList<ProbeDrop> Drops,
    ConntrackFill? ConntrackBefore,
    ConntrackFill? ConntrackAfter,
    IReadOnlyList<(NamespaceRole Role, string Table, string Chain, string Rule)> RuleCounters,
    IReadOnlyDictionary<string, string> HostSysctls,
    IReadOnlyList<string> Unavailable)
{
    public static KernelFacts None { get; } = new([], [], [], null, null, [], new Dictionary<string, string>(), []);

    /// <summary>The answer to the question asked at <paramref name="station"/> (host/br0: the way on; host/ens160: the way back).</summary>
    public RouteAnswer? RouteAt(InterfaceRef station) => Routes.FirstOrDefault(r => r.Station == station);

    /// <summary>The first netfilter step that dropped the probe or its reply, in the order the monitor saw them.</summary>
    public NetfilterHit? FirstDrop => Netfilter.FirstOrDefault(h => h.Drops);

    /// <summary>The rule with its counters (`iptables -S -v`), when it was read.</summary>
    public string? CountedRule(NetfilterHit hit) =>
        RuleCounters.FirstOrDefault(r => r.Role == hit.Role && r.Table == hit.Table && r.Chain == hit.Chain && WithoutCounters(r.Rule) == hit.Rule).Rule;

    /// <summary>"-A FORWARD -c 3 252 -j DROP" without "-c 3 252".</summary>
    public static string WithoutCounters(string rule)
    {
        var words = rule.Split(' ').ToList();
        var c = words.IndexOf("-c");
        if (c >= 0 && c + 2 < words.Count) words.RemoveRange(c, 3);
        return string.Join(' ', words);
    }

    public bool ConntrackDropped => ConntrackBefore is { } before && ConntrackAfter is { } after && (after.Drops > before.Drops || after.Full);
}

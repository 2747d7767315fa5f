using System.Text.Json;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>Turns the JSON of `ip -j` and `bridge -j` and the text of `iptables -S` into model values.</summary>
public static class KernelJsonParser
{
    /// <summary>Parses `ip -j -d addr show`; bridge port states come from `bridge -j link show` when given.</summary>
    public static IReadOnlyList<LinkState> ParseLinks(string ipAddrJson, string? bridgeLinkJson = null)
    {
        var portStates = new Dictionary<string, string>();
        if (!string.IsNullOrWhiteSpace(bridgeLinkJson))
        {
            using var bridgeDoc = JsonDocument.Parse(Escaped(bridgeLinkJson));
            foreach (var port in bridgeDoc.RootElement.EnumerateArray())
            {
                if (Str(port, "ifname") is { } name && Str(port, "state") is { } state)
                    portStates[name] = state;
            }
        }

        using var doc = JsonDocument.Parse(EmptyAsArray(ipAddrJson));
        var links = new List<LinkState>();
        foreach (var link in doc.RootElement.EnumerateArray())
        {
            var name = Str(link, "ifname");
            if (name is null) continue;
            var flags = link.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString() ?? "").ToHashSet() : [];
            var kind = link.TryGetProperty("linkinfo", out var info) && Str(info, "info_kind") is { } k ? k
                : Str(link, "link_type") == "loopback" ? "loopback" : "";
            var addresses = new List<InterfaceAddress>();
            if (link.TryGetProperty("addr_info", out var addrInfo))
            {
                foreach (var a in addrInfo.EnumerateArray())
                {
                    if (Str(a, "family") == "inet" && Str(a, "local") is { } local && a.TryGetProperty("prefixlen", out var p)
                        && InterfaceAddress.TryParse($"{local}/{p.GetInt32()}", out var address))
                        addresses.Add(address);
                }
            }
            links.Add(new LinkState
            {
                Name = name,
                Index = Int(link, "ifindex"),
                Kind = kind,
                Mac = Str(link, "address"),
                Mtu = Int(link, "mtu"),
                AdminUp = flags.Contains("UP"),
                NoCarrier = flags.Contains("NO-CARRIER"),
                OperState = Str(link, "operstate") ?? "UNKNOWN",
                Master = Str(link, "master"),
                PortState = portStates.GetValueOrDefault(name),
                Addresses = addresses,
            });
        }
        return links;
    }

    /// <summary>Parses `ip -j route show`.</summary>
    public static IReadOnlyList<RouteState> ParseRoutes(string ipRouteJson)
    {
        using var doc = JsonDocument.Parse(EmptyAsArray(ipRouteJson));
        return doc.RootElement.EnumerateArray()
            .Select(r => new RouteState(Str(r, "dst") ?? "default", Str(r, "gateway"), Str(r, "dev"), Str(r, "protocol"), Str(r, "scope"), Str(r, "type") is "unicast" ? null : Str(r, "type")))
            .ToList();
    }

    /// <summary>Parses `ip -j -s link show`: each interface's packets received plus sent, from its kernel counters.</summary>
    public static IReadOnlyDictionary<string, long> ParseLinkPackets(string ipLinkStatsJson)
    {
        using var doc = JsonDocument.Parse(EmptyAsArray(ipLinkStatsJson));
        var packets = new Dictionary<string, long>();
        foreach (var link in doc.RootElement.EnumerateArray())
        {
            if (Str(link, "ifname") is not { } name || !link.TryGetProperty("stats64", out var stats)) continue;
            packets[name] = Packets(stats, "rx") + Packets(stats, "tx");
        }
        return packets;

        static long Packets(JsonElement stats, string direction) =>
            stats.TryGetProperty(direction, out var side) && side.TryGetProperty("packets", out var count) && count.TryGetInt64(out var n) ? n : 0;
    }

    /// <summary>Parses `ip -j neigh show` (the ARP table): address, device, MAC (absent while unresolved), state.</summary>
    public static IReadOnlyList<NeighbourEntry> ParseNeighbours(string ipNeighJson)
    {
        using var doc = JsonDocument.Parse(EmptyAsArray(ipNeighJson));
        return doc.RootElement.EnumerateArray()
            .Select(n => new NeighbourEntry(Str(n, "dst") ?? "?", Str(n, "dev"), Str(n, "lladdr"),
                n.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Array
                    ? string.Join(',', state.EnumerateArray().Select(s => s.GetString()))
                    : ""))
            .ToList();
    }

    /// <summary>
    /// Parses `bridge -j -s fdb show br BR` into the bridge's MAC table as `brctl showmacs` shows it: only the entries
    /// of the bridge's ports (the bridge's own multicast entries are left out), local or learned, with their age.
    /// </summary>
    public static IReadOnlyList<FdbEntry> ParseForwardingDatabase(string bridgeFdbJson, string bridge)
    {
        using var doc = JsonDocument.Parse(EmptyAsArray(bridgeFdbJson));
        return doc.RootElement.EnumerateArray()
            .Where(e => Str(e, "master") == bridge && Str(e, "mac") is not null)
            .Select(e => new FdbEntry(Str(e, "mac")!, Str(e, "ifname") ?? "?", Str(e, "state") == "permanent",
                e.TryGetProperty("updated", out var updated) && updated.TryGetInt32(out var seconds) ? seconds : null))
            .OrderBy(e => e.Port, StringComparer.Ordinal).ThenBy(e => e.Mac, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Parses `iptables -t nat -S POSTROUTING`: the -A lines become rules, the policy line is skipped.</summary>
    public static IReadOnlyList<NatRule> ParseNatRules(string iptablesSpec)
    {
        var rules = new List<NatRule>();
        foreach (var line in iptablesSpec.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IptablesWords.Split(line) is not { Count: >= 2 } words || words[0] != "-A") continue;
            string? source = null, notDestination = null, outInterface = null, target = null, comment = null;
            for (var i = 2; i < words.Count; i++)
            {
                var negated = words[i] == "!";
                if (negated) i++;
                if (i + 1 >= words.Count) break;
                switch (words[i])
                {
                    case "-s" when !negated: source = words[++i]; break;
                    case "-d" when negated: notDestination = words[++i]; break;
                    case "-o" when !negated: outInterface = words[++i]; break;
                    case "-j": target = words[++i]; break;
                    case "--comment": comment = words[++i]; break;
                }
            }
            rules.Add(new NatRule(words[1], source, notDestination, outInterface, target ?? "", comment, line));
        }
        return rules;
    }

    // `ip -j` prints nothing at all, not "[]", for an empty table in some versions.
    private static string EmptyAsArray(string json) => string.IsNullOrWhiteSpace(json) ? "[]" : Escaped(json);

    /// <summary>
    /// iproute2's JSON writes a name's bytes as they are: an interface named "ESC]0;x BEL" (a guest or a user may
    /// name one so) gives a string with raw control characters, which is not JSON. They are escaped (\u001b) inside
    /// strings; the structure is left alone.
    /// </summary>
    public static string Escaped(string json)
    {
        if (!json.Any(c => c < ' ' && c is not ('\n' or '\r' or '\t'))) return json;
        var text = new System.Text.StringBuilder(json.Length + 16);
        var (inString, escaping) = (false, false);
        foreach (var c in json)
        {
            if (inString && c < ' ')
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                text.Append(c);
            if (escaping) escaping = false;
            else if (inString && c == '\\') escaping = true;
            else if (c == '"') inString = !inString;
        }
        return text.ToString();
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
}

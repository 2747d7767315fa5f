using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Reads a real host's networks from its kernel and never changes them: the namespaces reachable from the observed
/// one by veth pairs (named under /run/netns or held by a process, one per inode), each one's links, routes of every
/// table, policy rules, forwarding and nft chains, and the process behind each tap. Every command it runs is a read
/// (<see cref="ObserveCommands"/>); it has no way to write.
/// </summary>
public sealed class HostObserver(HostRunner runner)
{
    // Namespaces read side by side: enough to hide each command's start, few enough for two cores.
    private const int ReadsAtOnce = 8;
    private const int ProcessesNamed = 8;

    /// <summary>The kernel's routing answer in the namespace at <paramref name="path"/> (<see cref="ObserveCommands.RouteGet"/>).</summary>
    public async Task<RoutingAnswer> RouteGetAsync(string path, System.Net.IPAddress destination, System.Net.IPAddress source, string? arrivedOn,
        CancellationToken cancellationToken = default)
    {
        var command = ObserveCommands.RouteGet(path, destination, source, arrivedOn);
        var asked = string.Join(' ', command.Arguments.SkipWhile(a => a != "--").Skip(1).Where(a => a != "-j"));
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0)
            return new RoutingAnswer(asked, null, null, result.StandardError.Trim());
        using var json = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
        var route = json.RootElement.EnumerateArray().FirstOrDefault();
        string? Text(string name) => route.ValueKind == System.Text.Json.JsonValueKind.Object && route.TryGetProperty(name, out var value) ? value.GetString() : null;
        var type = Text("type");
        // A local, blackhole, unreachable or prohibit route has no device to leave by: said as the kernel's type.
        return type is null or "unicast"
            ? new RoutingAnswer(asked, Text("dev"), Text("gateway"), null)
            : new RoutingAnswer(asked, type == "local" ? Text("dev") : null, null, type, Local: type == "local");
    }

    /// <summary>What changes with traffic in the namespace at <paramref name="path"/> (<see cref="HostDetails"/>), read now.</summary>
    public async Task<HostDetails> DetailsAsync(ulong inode, string path, string? bridge, CancellationToken cancellationToken = default)
    {
        var neighbours = runner.RunAsync(ObserveCommands.Neighbours(path), cancellationToken);
        var macTable = bridge is null ? null : runner.RunAsync(ObserveCommands.MacTable(path, bridge), cancellationToken);
        var connections = runner.RunAsync(ObserveCommands.Connections(path), cancellationToken);
        var unread = new List<string>();
        IReadOnlyList<string> Lines(CommandResult result, string what)
        {
            if (!result.Succeeded)
            {
                unread.Add($"{what}: {FirstLine(result.StandardError) ?? $"exited {result.ExitCode}"}");
                return [];
            }
            return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(HostDetails.MaxLines)];
        }
        return new HostDetails(inode, bridge, Lines(await neighbours, "neighbours"), macTable is null ? [] : Lines(await macTable, $"{bridge}'s MAC table"),
            Lines(await connections, "conntrack"), unread);
    }

    /// <param name="target">A name under /run/netns, a /proc/PID/ns/net path, or null for the dashboard's own namespace (the host's).</param>
    public async Task<ObservedHost> ObserveAsync(string? target, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var path = ObserveTarget.PathOf(target);
        var targetInode = ObserveTarget.InodeOf(path) ?? throw new ObserveException($"there is no network namespace at {path} to observe");
        var found = ProcNamespaces.Enumerate();
        if (!found.ContainsKey(targetInode))
            found[targetInode] = new ProcNamespaces.Found(null, path, []);

        using var gate = new SemaphoreSlim(ReadsAtOnce);
        async Task<T> Limited<T>(Func<Task<T>> read)
        {
            await gate.WaitAsync(cancellationToken);
            try { return await read(); }
            finally { gate.Release(); }
        }
        Task<NamespaceRead> Read(ulong inode) => Limited(() => ReadAsync(found[inode].Path, cancellationToken));

        Dictionary<ulong, NamespaceRead> reads;
        HashSet<ulong> reachable;
        if (targetInode == ObserveTarget.InodeOf(ObserveTarget.PathOf(null)))
        {
            // The root namespace: the whole host is what is asked for.
            reads = (await Task.WhenAll(found.Keys.Select(async inode => (Inode: inode, Read: await Read(inode))))).ToDictionary(x => x.Inode, x => x.Read);
            reachable = [.. reads.Keys];
        }
        else
        {
            (reads, reachable) = await FollowVethsAsync(targetInode, found, Read);
        }
        var links = reads.ToDictionary(r => r.Key, r => r.Value.Links);
        // A tap lives in the namespace of the process that holds it (QEMU is started where its tap is).
        var taps = TapHolders.Find(reachable.SelectMany(inode => found[inode].Pids.Select(pid => (inode, pid))));
        var namespaces = await Task.WhenAll(reachable.Select(async inode =>
        {
            var at = found[inode];
            var read = reads[inode];
            var ruleset = await Limited(() => runner.RunAsync(ObserveCommands.Ruleset(at.Path), cancellationToken));
            var joined = read.Links.Select(l => Joined(l, inode, links, taps)).ToList();
            var unread = new[] { read.Failure is null ? null : $"links, routes and rules: {read.Failure}",
                ruleset.Succeeded ? null : $"nft rules: {FirstLine(ruleset.StandardError) ?? $"nft exited {ruleset.ExitCode}"}" }.OfType<string>().ToList();
            return new ObservedNamespace(inode, at.Name, inode == targetInode, ProcessNames(at.Pids), joined, read.Routes, read.Rules, read.Forwarding,
                ruleset.Succeeded ? ChainsOf(ruleset.StandardOutput) : [], Path: at.Path, Unread: unread);
        }));
        var processes = ProcNamespaces.CommandLines(found, reachable);
        // A Docker engine among these processes names its containers' namespaces (read-only GETs on its socket).
        var containers = await DockerEngine.NamesByNamespaceAsync(processes.Select(p => (p.Namespace, p.Pid, p.CommandLine)), cancellationToken);
        var ordered = namespaces.Select(n => containers.TryGetValue(n.Inode, out var container) ? n with { Container = container } : n)
            .OrderByDescending(n => n.IsTarget).ThenBy(n => n.Label, StringComparer.Ordinal).ToList();
        return new ObservedHost(ObserveTarget.Describe(target), DateTimeOffset.UtcNow, ordered, StackRecognizer.Recognize(ordered, processes),
            clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// The namespaces joined to a target other than the root one, entering only those: each veth's peer namespace is
    /// named by the kernel's id for it (`ip netns list-id` gives its /run/netns name), and only a peer without a name
    /// is looked for among the namespaces that processes hold. Other namespaces of the machine are never entered.
    /// One step of veths at a time, the namespaces of a step read side by side (a host of a hundred containers is
    /// one step, not a hundred reads in a row).
    /// </summary>
    private static async Task<(Dictionary<ulong, NamespaceRead> Reads, HashSet<ulong> Reachable)> FollowVethsAsync(ulong target,
        Dictionary<ulong, ProcNamespaces.Found> found, Func<ulong, Task<NamespaceRead>> read)
    {
        var reads = new Dictionary<ulong, NamespaceRead> { [target] = await read(target) };
        var reachable = new HashSet<ulong> { target };
        var step = new List<ulong> { target };
        while (step.Count > 0)
        {
            var veths = step.SelectMany(at => reads[at].Links.Where(l => l.State.Kind == "veth" && l.PeerElsewhere).Select(veth => (At: at, Veth: veth,
                Candidates: reads[at].NetnsIds.GetValueOrDefault(veth.PeerNetnsid!.Value) is { } name
                    && UnixFile.InodeOf(Path.Combine("/run/netns", name)) is { } named && found.ContainsKey(named)
                        ? [named] : found.Where(f => f.Value.Name is null).Select(f => f.Key).ToList()))).ToList();
            var toRead = veths.SelectMany(v => v.Candidates).Where(c => !reads.ContainsKey(c)).Distinct().ToList();
            foreach (var (inode, nsRead) in await Task.WhenAll(toRead.Select(async c => (Inode: c, Read: await read(c)))))
                reads[inode] = nsRead;
            var links = reads.ToDictionary(r => r.Key, r => r.Value.Links);
            step = [];
            foreach (var (at, veth, _) in veths)
            {
                if (PeerOf(veth, at, links) is { } peer && reachable.Add(peer.Namespace))
                    step.Add(peer.Namespace);
            }
        }
        return (reads, reachable);
    }

    private async Task<NamespaceRead> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var read = await runner.RunAsync(ObserveCommands.Namespace(path), cancellationToken);
        // A batch that failed part way still read what came before; what it did not read stays empty, and says why.
        return NamespaceRead.Parse(read.StandardOutput) with { Failure = read.Succeeded ? null : FirstLine(read.StandardError) ?? $"ip exited {read.ExitCode}" };
    }

    private static string? FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    /// <summary>One namespace as its ip batch (<see cref="ObserveCommands.Namespace"/>) read it; <paramref name="Failure"/> says why it stopped short.</summary>
    internal sealed record NamespaceRead(IReadOnlyList<RawLink> Links, IReadOnlyList<RouteState> Routes, IReadOnlyList<string> Rules, bool Forwarding,
        IReadOnlyDictionary<int, string> NetnsIds, string? Failure = null)
    {
        public static NamespaceRead Parse(string output)
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string? Line(int i) => i < lines.Length ? lines[i] : null;
            return new NamespaceRead(
                Line(0) is { } links ? ParseLinks(links) : [],
                Line(1) is { } routes ? KernelJsonParser.ParseRoutes(routes) : [],
                Line(2) is { } rules ? ParseRules(rules) : [],
                Line(3) is { } netconf && ForwardingOf(netconf),
                Line(4) is { } ids ? ParseNetnsIds(ids) : new Dictionary<int, string>());
        }
    }

    /// <summary>IPv4 forwarding of the namespace: netconf's "all" entry of family inet.</summary>
    internal static bool ForwardingOf(string netconfJson)
    {
        using var doc = JsonDocument.Parse(netconfJson);
        return doc.RootElement.EnumerateArray().Any(e => e.TryGetProperty("family", out var f) && f.GetString() == "inet"
            && e.TryGetProperty("interface", out var i) && i.GetString() == "all"
            && e.TryGetProperty("forwarding", out var on) && (on.ValueKind == JsonValueKind.True || (on.ValueKind == JsonValueKind.String && on.GetString() == "on")));
    }

    internal static Dictionary<int, string> ParseNetnsIds(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("nsid", out var id) && id.ValueKind == JsonValueKind.Number && e.TryGetProperty("name", out _))
            .ToDictionary(e => e.GetProperty("nsid").GetInt32(), e => e.GetProperty("name").GetString() ?? "");
    }

    /// <summary>A link as `ip -j -d addr show` gives it, with the extra fields a veth's peer is found by.</summary>
    /// <param name="PeerName">A veth's peer in the same namespace, which ip names ("link") instead of numbering.</param>
    internal sealed record RawLink(LinkState State, int? PeerIndex, int? PeerNetnsid, string? PeerName = null)
    {
        public bool PeerElsewhere => PeerNetnsid is not null;
    }

    internal static IReadOnlyList<RawLink> ParseLinks(string json)
    {
        var states = KernelJsonParser.ParseLinks(json);
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        var extra = doc.RootElement.EnumerateArray()
            .Where(l => l.TryGetProperty("ifindex", out _))
            .ToDictionary(l => l.GetProperty("ifindex").GetInt32(), l => (
                Peer: l.TryGetProperty("link_index", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : (int?)null,
                Netnsid: l.TryGetProperty("link_netnsid", out var id) && id.ValueKind == JsonValueKind.Number ? id.GetInt32() : (int?)null,
                Name: l.TryGetProperty("link", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null));
        return [.. states.Select(s => extra.TryGetValue(s.Index, out var e) ? new RawLink(s, e.Peer, e.Netnsid, e.Name) : new RawLink(s, null, null))];
    }

    /// <summary>A veth's other end: the veth elsewhere whose index is its peer's and whose peer index is its own.</summary>
    private static (ulong Namespace, string Name)? PeerOf(RawLink link, ulong at, IReadOnlyDictionary<ulong, IReadOnlyList<RawLink>> links)
    {
        if (!link.PeerElsewhere && link.PeerName is { } local && links[at].Any(l => l.State.Name == local)) return (at, local);
        if (link.PeerIndex is not { } peerIndex) return null;
        if (!link.PeerElsewhere)
            return links[at].FirstOrDefault(l => l.State.Index == peerIndex) is { } same ? (at, same.State.Name) : null;
        var matches = links.Where(ns => ns.Key != at)
            .SelectMany(ns => ns.Value.Where(l => l.State.Kind == "veth" && l.State.Index == peerIndex && l.PeerIndex == link.State.Index).Select(l => (ns.Key, l.State.Name)))
            .Take(2).ToList();
        // Two candidates would be a guess: the pair stays unjoined rather than joined wrong.
        return matches.Count == 1 ? matches[0] : null;
    }

    private static ObservedLink Joined(RawLink link, ulong at, IReadOnlyDictionary<ulong, IReadOnlyList<RawLink>> links, IReadOnlyDictionary<(ulong, string), TapHolder> taps)
    {
        var s = link.State;
        var peer = s.Kind == "veth" ? PeerOf(link, at, links) : null;
        return new ObservedLink(s.Index, s.Name, s.Kind, s.Mac, s.Mtu, s.State, s.Master, [.. s.Addresses.Select(a => a.ToString())], peer?.Namespace, peer?.Name,
            s.Kind == "tun" ? taps.GetValueOrDefault((at, s.Name)) : null);
    }

    private static IReadOnlyList<string> ProcessNames(IReadOnlyList<int> pids) =>
        [.. pids.Take(ProcessesNamed).Select(pid => ProcNamespaces.Comm(pid) is { } comm ? $"{comm} {pid}" : null).OfType<string>()];

    internal static IReadOnlyList<string> ParseRules(string json)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        return [.. doc.RootElement.EnumerateArray().Select(r =>
        {
            string? Word(string name) => r.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.GetString() : null;
            var parts = new List<string> { $"{Word("priority")}:" };
            parts.Add(Word("src") is { } src ? $"from {src}{(Word("srclen") is { } len ? $"/{len}" : "")}" : "from all");
            if (Word("fwmark") is { } mark) parts.Add($"fwmark {mark}");
            if (Word("iif") is { } iif) parts.Add($"iif {iif}");
            parts.Add($"lookup {Word("table") ?? "?"}");
            return string.Join(' ', parts);
        })];
    }

    /// <summary>"ip nat LIBVIRT_PRT" for each `chain` of an `nft list ruleset`.</summary>
    internal static IReadOnlyList<string> ChainsOf(string ruleset)
    {
        var chains = new List<string>();
        string? table = null;
        foreach (var raw in ruleset.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("table ", StringComparison.Ordinal))
                table = line["table ".Length..].TrimEnd('{', ' ');
            else if (table is not null && line.StartsWith("chain ", StringComparison.Ordinal))
                chains.Add($"{table} {line["chain ".Length..].TrimEnd('{', ' ')}");
        }
        return chains;
    }
}

/// <summary>The observed namespace could not be read (it does not exist, or is not a network namespace).</summary>
public sealed class ObserveException(string message) : Exception(message);

/// <summary>Where observe mode looks: the dashboard's own namespace (the host's), or the one `NetDashboard:Observe:Namespace` names.</summary>
public static class ObserveTarget
{
    /// <summary>
    /// Where <paramref name="target"/> is entered; by default the dashboard's own namespace (the host's root namespace,
    /// where the dashboard runs): pid 1's entry may be closed even to root (on this project's CI machines it is).
    /// </summary>
    public static string PathOf(string? target) =>
        string.IsNullOrEmpty(target) ? $"/proc/{Environment.ProcessId}/ns/net" : target.StartsWith('/') ? target : Path.Combine("/run/netns", target);

    public static string Describe(string? target) => string.IsNullOrEmpty(target) ? "this host (the dashboard's own namespace)" : target;

    /// <summary>
    /// The namespace's inode: a /proc/PID/ns/net entry is a magic link that names it ("net:[4026531840]"; a stat that
    /// does not follow links sees the link), a /run/netns name is a bind mount of it.
    /// </summary>
    public static ulong? InodeOf(string path) => path.StartsWith("/proc/", StringComparison.Ordinal) ? ProcNamespaces.InodeOfLink(path) : UnixFile.InodeOf(path);

    /// <summary>Why <paramref name="target"/> cannot be observed, or null: a plain name under /run/netns or /proc/PID/ns/net.</summary>
    public static string? Check(string? target)
    {
        if (string.IsNullOrEmpty(target)) return null;
        if (target.StartsWith('/'))
            return InputRules.IsProcNetnsPath(target) ? null : "is not /proc/PID/ns/net";
        return InputRules.CheckNetnsName(target) is { } problem ? $"{problem} or /proc/PID/ns/net" : null;
    }
}

/// <summary>The namespaces the host's processes and /run/netns hold, by inode.</summary>
internal static class ProcNamespaces
{
    public sealed record Found(string? Name, string Path, List<int> Pids);

    public static Dictionary<ulong, Found> Enumerate()
    {
        var found = new Dictionary<ulong, Found>();
        if (Directory.Exists("/run/netns"))
        {
            foreach (var file in Directory.EnumerateFiles("/run/netns"))
            {
                if (UnixFile.InodeOf(file) is { } inode && !found.ContainsKey(inode))
                    found[inode] = new Found(Path.GetFileName(file), file, []);
            }
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!name.All(char.IsAsciiDigit) || !int.TryParse(name, CultureInfo.InvariantCulture, out var pid)) continue;
            if (InodeOfLink($"{dir}/ns/net") is not { } inode) continue;
            // The observer's own readers (an ip it started with nsenter, a page's ip monitor) are not the host's processes.
            if (ParentPid(pid) == Environment.ProcessId && Comm(pid) is "ip" or "nft" or "bridge" or "conntrack" or "nsenter") continue;
            if (!found.TryGetValue(inode, out var ns))
                found[inode] = ns = new Found(null, $"{dir}/ns/net", []);
            ns.Pids.Add(pid);
        }
        return found;
    }

    /// <summary>"net:[4026531840]" → 4026531840; null when the process is gone or not ours to read.</summary>
    public static ulong? InodeOfLink(string path)
    {
        try
        {
            var target = new FileInfo(path).LinkTarget;
            return target is ['n', 'e', 't', ':', '[', .., ']'] && ulong.TryParse(target[5..^1], CultureInfo.InvariantCulture, out var inode) ? inode : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The parent's pid, 0 when the process is gone.</summary>
    public static int ParentPid(int pid)
    {
        try
        {
            return ParentPidOf(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>
    /// "1234 (comm) S 1 …" → 1: the field after the state, which follows the command name's last closing parenthesis
    /// (a name may hold spaces and parentheses itself); 0 when the line is not of that shape.
    /// </summary>
    internal static int ParentPidOf(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return stat.Contains(')', StringComparison.Ordinal) && fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent) ? parent : 0;
    }

    /// <summary>The command lines of the processes of the reachable namespaces (what recognises dnsmasq of a libvirt network).</summary>
    public static IReadOnlyList<(ulong Namespace, int Pid, int ParentPid, string CommandLine)> CommandLines(Dictionary<ulong, Found> found, IReadOnlySet<ulong> reachable) =>
        [.. reachable.SelectMany(inode => found[inode].Pids.Select(pid => (inode, pid, CommandLine(pid)))).Where(p => p.Item3 is not null)
            .Select(p => (p.inode, p.pid, ParentPid(p.pid), p.Item3!))];
}

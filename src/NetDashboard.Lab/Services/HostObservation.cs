using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Observe;

namespace NetDashboard.Lab.Services;

/// <summary>
/// The door of observe mode: this host's networks, read and never changed. It is built from the observer alone (a
/// command runner that only ever gets reads), apart from the labs' door, so nothing that writes can be reached from it.
/// </summary>
public sealed class HostObservation(HostObserver observer, CaptureService captures, string? target, bool enabled)
{
    public const string EnabledSetting = "NetDashboard:Observe:Enabled";
    public const string NamespaceSetting = "NetDashboard:Observe:Namespace";

    /// <summary>What observe mode reads: "this host (the dashboard's own namespace)", or the namespace configured.</summary>
    public string Target => ObserveTarget.Describe(target);

    /// <summary>Whether observe mode is on (<see cref="EnabledSetting"/>); off, the page and the API say so and read nothing.</summary>
    public bool Enabled => enabled;

    // How long an observation answers "which namespace is inode N, where is it entered": a capture, a download, a why
    // or a details read right after the page's reading needs no second walk of every namespace.
    private static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(3);
    private ObservedHost? _recent;

    private async Task<(ActionResult Result, ObservedHost? Host)> RecentAsync(CancellationToken cancellationToken) =>
        _recent is { } recent && DateTimeOffset.UtcNow - recent.TakenAt < ReuseFor ? (ActionResult.Ok("recent"), recent) : await ObserveAsync(cancellationToken);

    public async Task<(ActionResult Result, ObservedHost? Host)> ObserveAsync(CancellationToken cancellationToken = default)
    {
        if (!enabled) return (ActionResult.NotFound($"observe mode is off ({EnabledSetting} = false)"), null);
        if (ObserveTarget.Check(target) is { } problem)
            return (ActionResult.Refused(NamespaceSetting, $"'{Printable.Quote(target!)}' {problem}"), null);
        try
        {
            var host = await observer.ObserveAsync(target, cancellationToken);
            _recent = host;
            return (ActionResult.Ok($"{host.Namespaces.Count} namespaces read in {host.ElapsedMs} ms"), host);
        }
        catch (ObserveException e)
        {
            return (ActionResult.NotFound(e.Message), null);
        }
    }

    /// <summary>
    /// A pulse whenever the kernel says a link, address or route of the observed namespace, or of one its veths lead
    /// to, changed; nothing while observe mode is off or its target is refused.
    /// </summary>
    public IAsyncEnumerable<bool> ChangesAsync(CancellationToken cancellationToken = default) =>
        enabled && ObserveTarget.Check(target) is null ? HostChanges.WatchAsync(ObserveTarget.PathOf(target), cancellationToken) : AsyncEnumerable.Empty<bool>();

    /// <summary>
    /// Captures one interface of this host for <paramref name="seconds"/>, as pcapng, without promiscuous mode: the
    /// namespace is named by its inode, as an observation shows it, and must be one the observation reaches now.
    /// </summary>
    public async Task<CaptureDownload> CaptureForAsync(ulong? namespaceInode, string? iface, int seconds, string? filter, CancellationToken cancellationToken = default)
    {
        if (CaptureActions.SecondsProblem(seconds, captures.Options) is { } tooLong) return new(tooLong, []);
        var problems = CaptureActions.InterfaceAndFilterProblems(iface, filter, captures.Options);
        if (namespaceInode is null)
            problems.Insert(0, new("namespace", "name the namespace by its inode, as GET /api/host/topology shows it"));
        if (problems.Count > 0) return new(ActionResult.Refused(problems), []);
        var (located, key) = await LocateAsync(new HostInterface(namespaceInode!.Value, iface!), filter ?? "", cancellationToken);
        return key is null ? new(located, []) : await CaptureActions.DownloadAsync(captures, key, seconds, cancellationToken);
    }

    /// <summary>
    /// Opens (or joins) the live capture of one interface of this host ("4026532291/vnet0", a pane), without
    /// promiscuous mode; its packets are linked with those of this host's other open captures.
    /// </summary>
    public async Task<CaptureOpening> OpenCaptureAsync(string? pane, string? filter, CancellationToken cancellationToken = default)
    {
        if (!HostInterface.TryParse(pane, out var at))
            return new(ActionResult.Refused("pane", $"'{Printable.Quote(pane ?? "")}' is not an interface of this host: a namespace's inode, '/' and an interface name"), null);
        var problems = CaptureActions.InterfaceAndFilterProblems(at.Name, filter, captures.Options);
        if (problems.Count > 0) return new(ActionResult.Refused(problems), null);
        var (located, key) = await LocateAsync(at, filter ?? "", cancellationToken);
        return key is null ? new(located, null) : await CaptureActions.AcquireAsync(captures, key, cancellationToken);
    }

    /// <summary>What the live captures of the named interfaces of this host hold now, for a download of the open panes.</summary>
    public async Task<CaptureDownload> RunningCapturesAsync(IReadOnlyList<string> panes, CancellationToken cancellationToken = default)
    {
        if (panes.Count is 0 or > 16) return new(ActionResult.Refused("panes", "name 1 to 16 captures, e.g. 4026532291/vnet0"), []);
        if (panes.FirstOrDefault(pane => !HostInterface.TryParse(pane, out _)) is { } notACapture)
            return new(ActionResult.Refused("panes", $"'{Printable.Quote(notACapture)}' is not an interface of this host: a namespace's inode, '/' and an interface name"), []);
        var (result, host) = await RecentAsync(cancellationToken);
        if (host is null) return new(result, []);
        var snapshots = new List<CaptureSnapshot>();
        foreach (var pane in panes)
        {
            HostInterface.TryParse(pane, out var at);
            var capture = host.Find(at.Namespace) is { Path: { } path }
                ? captures.Captures.Where(c => c.Key.IsThisHost && c.Key.Namespace == path && c.Key.Interface == at.Name).MinBy(c => c.Key.Filter.Length)
                : null;
            if (capture is null) return new(ActionResult.NotFound($"no capture of this host runs on {pane}; open it on the page first"), []);
            snapshots.Add(capture.Snapshot());
        }
        return new(ActionResult.Ok($"{snapshots.Count} captures"), snapshots);
    }

    /// <summary>A packet's path across this host's open captures (by a row's group), with what changed at each hop.</summary>
    public PacketJourney? JourneyOf(long group) => captures.Journey(CaptureKey.ThisHost, group);

    /// <summary>On how many of this host's open captures a row's packet was seen.</summary>
    public int SeenOn(long group) => captures.SeenOn(CaptureKey.ThisHost, group);

    /// <summary>
    /// Why a packet seen in a pane went where it went, sending nothing: where it was last seen among this host's open
    /// captures (its journey), with its addresses as they were there, and the kernel's routing answer in that
    /// namespace (`ip route get`): it left there, it is the namespace's own, the kernel has no way for it, or the
    /// kernel sends it out of a device it never appeared on (then it stopped inside, after routing).
    /// </summary>
    public async Task<(ActionResult Result, HostWhy? Why)> WhyAsync(string? pane, long group, string? source, string? destination,
        CancellationToken cancellationToken = default)
    {
        var problems = new List<LabFileProblem>();
        if (!HostInterface.TryParse(pane, out var at))
            problems.Add(new("pane", $"'{Printable.Quote(pane ?? "")}' is not an interface of this host: a namespace's inode, '/' and an interface name"));
        if (!System.Net.IPAddress.TryParse(source, out var from))
            problems.Add(new("source", $"'{Printable.Quote(source ?? "")}' is not an IP address"));
        if (!System.Net.IPAddress.TryParse(destination, out var to))
            problems.Add(new("destination", $"'{Printable.Quote(destination ?? "")}' is not an IP address"));
        else if (from is not null && from.AddressFamily != to.AddressFamily)
            problems.Add(new("destination", "the source and the destination are not of one IP version"));
        if (problems.Count > 0) return (ActionResult.Refused(problems), null);
        var (result, host) = await RecentAsync(cancellationToken);
        if (host is null) return (result, null);

        // Its last hop among the open captures, and its addresses there after what NAT rewrote on the way.
        var journey = group == 0 ? null : captures.Journey(CaptureKey.ThisHost, group);
        var (lastName, lastPath) = journey?.Hops.MaxBy(h => h.TimestampMicros) is { } last ? HostInterface.ParseHop(last.Interface.Name) : (at.Name, null);
        var ns = lastPath is null ? host.Find(at.Namespace) : host.Namespaces.FirstOrDefault(n => n.Path == lastPath);
        if (ns?.Path is null || ns.Link(lastName) is not { } seenOn)
            return (ActionResult.NotFound($"the interface it was last seen on ({lastName}) is no longer reached from {Target}"), null);
        foreach (var change in journey?.Hops.SelectMany(h => h.Changes) ?? [])
        {
            if (change.FieldName == "source" && System.Net.IPAddress.TryParse(change.After, out var rewritten)) from = rewritten;
            if (change.FieldName == "destination" && System.Net.IPAddress.TryParse(change.After, out var redirected)) to = redirected;
        }
        var where = $"{seenOn.Name} in {ns.Label}";
        var leaving = await observer.RouteGetAsync(ns.Path, to!, from!, null, cancellationToken);
        if (leaving.Device == seenOn.Name && !leaving.Local)
            return (ActionResult.Ok("why"), new HostWhy($"It left {ns.Label} through {seenOn.Name}{Via(leaving)}, where it was last seen with source {from}; "
                + "what lies beyond is not observed from here.", where, [leaving]));
        // It arrived there: a port of a bridge arrives at the bridge, where routing decides.
        var arrivedOn = seenOn.Master ?? seenOn.Name;
        var answer = await observer.RouteGetAsync(ns.Path, to!, from!, arrivedOn, cancellationToken);
        var verdict = answer switch
        {
            { Local: true } => $"It is for {ns.Label} itself ({to} is its own address): delivered there, not forwarded.",
            { Refusal: { } refusal } => $"The kernel has no way for it in {ns.Label}: asked where a packet from {from} to {to} arriving on {arrivedOn} goes, it says \"{refusal}\". It is dropped there.",
            _ when !ns.Forwarding => $"Forwarding is off in {ns.Label}: a packet arriving on {arrivedOn} for {to} is not routed on (the kernel would send it out of {answer.Device}{Via(answer)}). It is dropped there.",
            { Device: { } device } when IsCaptured(ns.Path, device) =>
                $"The kernel sends it out of {device}{Via(answer)}, but it never appeared on {device}: it stopped in {ns.Label} after routing. "
                + $"Where it can stop: the forward hook's rules ({FilterChains(ns)}) or no answer to ARP for {answer.Gateway ?? to!.ToString()}. "
                + "Observe mode adds no TRACE rule to say which; a lab's trace does.",
            { Device: { } device } => $"The kernel sends it out of {device}{Via(answer)}. Capture {device} too to see whether it leaves.",
            _ => $"The kernel answered without a device: {answer}.",
        };
        return (ActionResult.Ok("why"), new HostWhy(verdict, where, [leaving, answer]));
    }

    private static string Via(RoutingAnswer answer) => answer.Gateway is { } gateway ? $" via {gateway}" : "";

    private bool IsCaptured(string path, string iface) => captures.Captures.Any(c => c.Key.IsThisHost && c.Key.Namespace == path && c.Key.Interface == iface);

    private static string FilterChains(ObservedNamespace ns)
    {
        var chains = ns.Chains.Where(c => c.Contains("FORWARD", StringComparison.OrdinalIgnoreCase) || c.Contains("forward", StringComparison.Ordinal)
            || c.Contains("FWO", StringComparison.Ordinal) || c.Contains("FWI", StringComparison.Ordinal) || c.Contains("FWX", StringComparison.Ordinal)).ToList();
        return chains.Count == 0 ? "none listed" : string.Join(", ", chains);
    }

    /// <summary>
    /// What changes with traffic in one namespace (its neighbours, the connections conntrack tracks) and, when
    /// <paramref name="link"/> is a bridge, its MAC table: read when asked, the namespace named by its inode.
    /// </summary>
    public async Task<(ActionResult Result, HostDetails? Details)> DetailsAsync(ulong namespaceInode, string? link, CancellationToken cancellationToken = default)
    {
        if (link is not null && LabFileProblem.Check("link", link, InputRules.CheckInterfaceName) is { } bad) return (ActionResult.Refused([bad]), null);
        var (result, host) = await RecentAsync(cancellationToken);
        if (host is null) return (result, null);
        if (host.Find(namespaceInode) is not { Path: { } path } ns)
            return (ActionResult.NotFound($"no namespace net:[{namespaceInode}] is reached from {Target}"), null);
        if (link is not null && ns.Link(link) is null)
            return (ActionResult.NotFound($"there is no interface {link} in {ns.Label}"), null);
        var bridge = link is not null && ns.Link(link) is { Kind: "bridge" } asked ? asked.Name : null;
        return (ActionResult.Ok("read"), await observer.DetailsAsync(ns.Inode, path, bridge, cancellationToken));
    }

    // The capture key of an interface an observation reaches now, or why there is none.
    private async Task<(ActionResult Result, CaptureKey? Key)> LocateAsync(HostInterface at, string filter, CancellationToken cancellationToken)
    {
        var (result, host) = await RecentAsync(cancellationToken);
        if (host is null) return (result, null);
        if (host.Find(at.Namespace) is not { Path: { } path } ns)
            return (ActionResult.NotFound($"no namespace net:[{at.Namespace}] is reached from {Target}"), null);
        if (ns.Link(at.Name) is null)
            return (ActionResult.NotFound($"there is no interface {at.Name} in {ns.Label}"), null);
        return (result, CaptureKey.OnThisHost(path, at.Name, filter));
    }

    /// <inheritdoc cref="LabService.WritePcapNg"/>
    public static void WritePcapNg(Stream output, IReadOnlyList<CaptureSnapshot> snapshots) => PcapNgWriter.Write(output, snapshots);
}

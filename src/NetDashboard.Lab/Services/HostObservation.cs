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

    public async Task<(ActionResult Result, ObservedHost? Host)> ObserveAsync(CancellationToken cancellationToken = default)
    {
        if (!enabled) return (ActionResult.NotFound($"observe mode is off ({EnabledSetting} = false)"), null);
        if (ObserveTarget.Check(target) is { } problem)
            return (ActionResult.Refused(NamespaceSetting, $"'{Printable.Quote(target!)}' {problem}"), null);
        try
        {
            var host = await observer.ObserveAsync(target, cancellationToken);
            return (ActionResult.Ok($"{host.Namespaces.Count} namespaces read in {host.ElapsedMs} ms"), host);
        }
        catch (ObserveException e)
        {
            return (ActionResult.NotFound(e.Message), null);
        }
    }

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
        var (result, host) = await ObserveAsync(cancellationToken);
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

    // The capture key of an interface an observation reaches now, or why there is none.
    private async Task<(ActionResult Result, CaptureKey? Key)> LocateAsync(HostInterface at, string filter, CancellationToken cancellationToken)
    {
        var (result, host) = await ObserveAsync(cancellationToken);
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

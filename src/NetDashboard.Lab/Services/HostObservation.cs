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
        var (result, host) = await ObserveAsync(cancellationToken);
        if (host is null) return new(result, []);
        if (host.Find(namespaceInode!.Value) is not { Path: { } path } ns)
            return new(ActionResult.NotFound($"no namespace net:[{namespaceInode}] is reached from {Target}"), []);
        if (ns.Link(iface!) is null)
            return new(ActionResult.NotFound($"there is no interface {iface} in {ns.Label}"), []);
        return await CaptureActions.DownloadAsync(captures, CaptureKey.OnThisHost(path, iface!, filter ?? ""), seconds, cancellationToken);
    }

    /// <inheritdoc cref="LabService.WritePcapNg"/>
    public static void WritePcapNg(Stream output, IReadOnlyList<CaptureSnapshot> snapshots) => PcapNgWriter.Write(output, snapshots);
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;

namespace NetDashboard.Model;

/// <summary>
/// Where a page's capture panes come from: a lab's interfaces ("host/tap0") or this host's in observe mode
/// ("4026532291/vnet0", read-only, never promiscuous). A pane knows only this, so the observe page reaches no lab.
/// </summary>
public interface ICaptureScope
{
    /// <summary>Opens (or joins) the capture a pane names, with a BPF filter (empty for everything).</summary>
    Task<CaptureOpening> OpenAsync(string pane, string filter, CancellationToken cancellationToken = default);

    /// <summary>On how many of the scope's open captures a row's packet was seen.</summary>
    int SeenOn(long group);

    /// <summary>A packet's path across the scope's open captures, by a row's group.</summary>
    PacketJourney? JourneyOf(long group);

    /// <summary>Whether a row's flow is the tracked connection chosen in a NAT table (a lab's; this host shows none).</summary>
    bool InFlow(NatEntry flow, long rowFlow);

    /// <summary>The address that downloads what the named panes' captures hold, as one pcapng.</summary>
    string DownloadAddress(IEnumerable<string> panes);
}

/// <summary>A lab's captures, through the labs' door.</summary>
public sealed class LabCaptureScope(LabService labs, string lab) : ICaptureScope
{
    public Task<CaptureOpening> OpenAsync(string pane, string filter, CancellationToken cancellationToken = default) =>
        InterfaceRef.TryParse(pane, out var at)
            ? labs.OpenCaptureAsync(lab, at.Role.Word(), at.Name, filter, cancellationToken)
            : Task.FromResult(new CaptureOpening(ActionResult.Refused("pane", $"'{Printable.Quote(pane)}' is not an interface of lab {lab}"), null));

    public int SeenOn(long group) => labs.SeenOn(lab, group);

    public PacketJourney? JourneyOf(long group) => labs.JourneyOf(lab, group);

    public bool InFlow(NatEntry flow, long rowFlow) => labs.ConntrackOf(lab)?.Holds(flow, rowFlow) == true;

    public string DownloadAddress(IEnumerable<string> panes) => $"api/labs/{lab}/captures.pcapng?panes={string.Join(',', panes)}";
}

/// <summary>This host's captures in observe mode, through its read-only door.</summary>
public sealed class HostCaptureScope(HostObservation observation) : ICaptureScope
{
    public Task<CaptureOpening> OpenAsync(string pane, string filter, CancellationToken cancellationToken = default) =>
        observation.OpenCaptureAsync(pane, filter, cancellationToken);

    public int SeenOn(long group) => observation.SeenOn(group);

    public PacketJourney? JourneyOf(long group) => observation.JourneyOf(group);

    public bool InFlow(NatEntry flow, long rowFlow) => false;

    public string DownloadAddress(IEnumerable<string> panes) => $"api/host/captures.pcapng?panes={string.Join(',', panes)}";
}

using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using NetDashboard.Model;
using NetDashboard.Lab.Model;

namespace NetDashboard.Components.Pages;

/// <summary>
/// Live captures side by side, on one time axis: by default the interfaces the lab's lesson is about (NAT: tap0,
/// br0 and ens160, so the rewrite of the source address reads across one line), any interface of the lab addable.
/// </summary>
public sealed partial class CapturesPage : IAsyncDisposable
{
    private readonly List<InterfaceRef> _panes = [];
    private IReadOnlyList<InterfaceRef> _candidates = [];
    private InterfaceRef? _toAdd;
    private string? _problem;
    private long _zeroMicros;
    private (string Pane, PacketRow Row, PacketDetail? Detail)? _selected;
    private LabCaptureScope _scope = null!;
    private PacketJourney? _journey, _reply;
    private GraphJourney? _graphJourney;
    private NatEntry? _flow;
    private Topology? _topology;
    private IReadOnlyDictionary<string, string>? _rates;

    private Task RatesAsync(IReadOnlyDictionary<string, string> rates) => InvokeAsync(() =>
    {
        _rates = rates;
        StateHasChanged();
    });
    private GraphModel _graph = GraphModel.Empty;
    private readonly CancellationTokenSource _stop = new();

    [Inject] private LabService Labs { get; set; } = null!;
        [Inject] private NavigationManager Navigation { get; set; } = null!;

    /// <summary>The lab, from the address.</summary>
    [Parameter] public string Lab { get; set; } = "";

    /// <summary>Panes to open, e.g. "host/tap0,host/br0" (default: the lesson's).</summary>
    [SupplyParameterFromQuery(Name = "panes")] public string? Panes { get; set; }

    /// <summary>A ping to run once the panes capture, "vm1>203.0.113.5" (a lesson's "Watch it").</summary>
    [SupplyParameterFromQuery(Name = "ping")] public string? Ping { get; set; }

    private string? _pinged;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender || _problem is not null || Ping?.Split('>') is not [var from, var target]) return;
        // The panes open their captures as they first render: ping once every pane captures (or after 15 s).
        _pinged = $"({from})$ ping {target}: waiting for the panes to capture…";
        StateHasChanged();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline && !AllPanesCapture())
            await Task.Delay(200);
        // One probe a second for half a minute, as `ping` would, so there is time to watch; leaving the page stops it.
        var replied = 0;
        var stop = _stop.Token;
        try
        {
            for (var sent = 1; sent <= WatchPings && !stop.IsCancellationRequested; sent++)
            {
                var result = await Labs.PingAsync(Lab, from, target, stop);
                replied += result.Succeeded ? 1 : 0;
                _pinged = $"({from})$ ping {target}: {replied} of {sent} replied{(sent < WatchPings ? ", one a second" : "")} — watch the rows in the panes below"
                    + (result.Succeeded ? "" : $". Last: {result.Message}");
                StateHasChanged();
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private const int WatchPings = 30;

    protected override async Task OnInitializedAsync()
    {
        // Before the first await: the page renders (its download button asks the scope) while the lab is looked up.
        _scope = new LabCaptureScope(Labs, Lab);
        if (InputRules.CheckLabName(Lab) is { } bad)
        {
            _problem = $"'{Lab}' is not a lab name: {bad}.";
            return;
        }
        if (await Labs.TopologyAsync(Lab) is not { } topology)
        {
            _problem = $"There is no lab named '{Lab}'.";
            return;
        }
        _zeroMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        _candidates = topology.Namespaces.Where(ns => ns.Exists)
            .SelectMany(ns => ns.Links.Where(l => l.Kind != "loopback").Select(l => new InterfaceRef(ns.Role, l.Name)))
            .ToList();
        // A name that can never be an interface of the lab opens no pane; the others open, and say so if they are missing.
        var wanted = Panes is { Length: > 0 }
            ? Panes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(pane => InterfaceRef.TryParse(pane, out var name) ? name : (InterfaceRef?)null).OfType<InterfaceRef>().ToList()
            : DefaultPanes(Labs.RecordOf(Lab)?.SourceFile, _candidates);
        _panes.AddRange(wanted.Distinct().Take(6));
        _ = FollowGraphAsync(_stop.Token);
        _ = new LinkRateFollower(Labs, Lab, () => _graph, () => true, RatesAsync).RunAsync(_stop.Token);
    }

    // The graph above the panes follows the kernel like the lab page's, so a journey lights what exists now.
    private async Task FollowGraphAsync(CancellationToken cancellationToken)
    {
        Topology? topology = null;
        IReadOnlyList<VmStatus> vms = [];
        IReadOnlyDictionary<string, GuestState>? guests = null;
        try
        {
            await foreach (var update in Labs.WatchAsync(Lab, cancellationToken))
            {
                if (update.Topology is null && update.Vms is null && update.Guests is null) continue;
                topology = update.Topology ?? topology;
                vms = update.Vms ?? vms;
                guests = update.Guests ?? guests;
                if (topology is null) continue;
                var graph = TopologyGraph.Build(topology, Labs.DefinitionOf(Lab), vms, guests);
                await InvokeAsync(() =>
                {
                    _graph = graph;
                    _topology = topology;
                    StateHasChanged();
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is ObjectDisposedException && _stop.IsCancellationRequested))
        {
            // The page went away while an update was on its way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }

    private bool AllPanesCapture()
    {
        var running = Labs.RunningCapturesOf(Lab) ?? [];
        return _panes.All(pane => running.Any(c => c.Name == pane.ToString() && c.Stats.State == CaptureState.Running));
    }

    /// <summary>The interfaces the tutorial's tcpdump watches in each part.</summary>
    public static IReadOnlyList<InterfaceRef> DefaultPanes(string? sourceFile, IReadOnlyList<InterfaceRef> present)
    {
        string[] wanted = Path.GetFileNameWithoutExtension(sourceFile ?? "") switch
        {
            "seed-tap" => ["tap1"],
            "seed-bridge" => ["tap0", "tap1", "br0"],
            "seed-bridge-external" => ["br0", "ens192"],
            _ => [present.Contains(InterfaceRef.Host("tap0")) ? "tap0" : "ens192", "br0", WorldDefinition.UplinkName],
        };
        var shown = wanted.Select(InterfaceRef.Host).Where(present.Contains).ToList();
        return shown.Count > 0 ? shown : [InterfaceRef.Host(WorldDefinition.UplinkName)];
    }

    private void AddPane()
    {
        if (_toAdd is not { } added || _panes.Contains(added)) return;
        _panes.Add(added);
        _toAdd = null;
        KeepAddressInStep();
    }

    private void ClosePane(string name)
    {
        if (!InterfaceRef.TryParse(name, out var pane)) return;
        _panes.Remove(pane);
        if (_selected?.Pane == name) _selected = null;
        KeepAddressInStep();
    }

    private void OnSelect((string Pane, PacketRow Row, PacketDetail? Detail) selection)
    {
        _selected = selection;
        _journey = InPathOrder(Labs.JourneyOf(Lab, selection.Row.Group), selection.Row);
        _reply = InPathOrder(_journey?.ReplyGroupIds.Select(id => Labs.JourneyOf(Lab, id)).FirstOrDefault(j => j is not null), null);
        _graphJourney = _journey is null ? null : JourneyOnGraph(_journey);
    }

    // The hops by kernel time, ties broken by the way the packet goes (the trace's one rule for it).
    private PacketJourney? InPathOrder(PacketJourney? journey, PacketRow? row) =>
        journey is null ? null : LabService.InPathOrder(journey, _topology, row is null ? null : row.Source);

    private GraphJourney JourneyOnGraph(PacketJourney journey)
    {
        var hops = journey.Hops.Select(GraphHop.Of).ToList();
        // The VM whose tap saw it first sent it; a packet seen on the wan's cable reached the server's side.
        var first = hops.Count > 0 && hops[0].Station.Role == NamespaceRole.Host ? hops[0].Station.Name : null;
        var sender = Labs.DefinitionOf(Lab)?.Vms.FirstOrDefault(vm => vm.Tap == first)?.Name;
        return GraphJourney.Of(hops, sender, arrived: hops.Any(h => h.Station == new InterfaceRef(NamespaceRole.Wan, WorldDefinition.PeerName)));
    }

    // The address names the open panes, so a reload or a shared link shows the same view.
    private void KeepAddressInStep() =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("panes", string.Join(',', _panes)), replace: true);
}

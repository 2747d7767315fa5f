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
    private readonly List<string> _panes = [];
    private IReadOnlyList<string> _candidates = [];
    private string? _toAdd;
    private string? _problem;
    private long _zeroMicros;
    private (string Pane, PacketRow Row, PacketDetail? Detail)? _selected;
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
            .SelectMany(ns => ns.Links.Where(l => l.Kind != "loopback").Select(l => $"{ns.Role.ToString().ToLowerInvariant()}/{l.Name}"))
            .ToList();
        var wanted = Panes is { Length: > 0 }
            ? Panes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
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
        return _panes.All(pane => running.Any(c => c.Name == pane && c.Stats.State == CaptureState.Running));
    }

    /// <summary>The interfaces the tutorial's tcpdump watches in each part.</summary>
    public static IReadOnlyList<string> DefaultPanes(string? sourceFile, IReadOnlyList<string> present)
    {
        string[] wanted = Path.GetFileNameWithoutExtension(sourceFile ?? "") switch
        {
            "seed-tap" => ["host/tap1"],
            "seed-bridge" => ["host/tap0", "host/tap1", "host/br0"],
            "seed-bridge-external" => ["host/br0", "host/ens192"],
            _ => [present.Contains("host/tap0") ? "host/tap0" : "host/ens192", "host/br0", "host/ens160"],
        };
        var shown = wanted.Where(present.Contains).ToList();
        return shown.Count > 0 ? shown : ["host/ens160"];
    }

    private void AddPane()
    {
        if (_toAdd is null || _panes.Contains(_toAdd)) return;
        _panes.Add(_toAdd);
        _toAdd = null;
        KeepAddressInStep();
    }

    private void ClosePane(string pane)
    {
        _panes.Remove(pane);
        if (_selected?.Pane == pane) _selected = null;
        KeepAddressInStep();
    }

    private void OnSelect((string Pane, PacketRow Row, PacketDetail? Detail) selection)
    {
        _selected = selection;
        _journey = InPathOrder(Labs.JourneyOf(Lab, selection.Row.Group), selection.Row);
        _reply = InPathOrder(_journey?.ReplyGroupIds.Select(id => Labs.JourneyOf(Lab, id)).FirstOrDefault(j => j is not null), null);
        _graphJourney = _journey is null ? null : JourneyOnGraph(_journey);
    }

    /// <summary>
    /// The hops by kernel time; a bridge and its port often stamp a packet in the same microsecond, and then the way
    /// decides: a packet from the LAN (its source on a bridge's subnet) goes port → bridge → uplink, one from outside
    /// the reverse. The hops tied this way are copies of one frame, so what changed at each stays where it was.
    /// </summary>
    private PacketJourney? InPathOrder(PacketJourney? journey, PacketRow? row)
    {
        if (journey is null) return null;
        var lan = _topology?.Host.Links.Where(l => l.Kind == "bridge").SelectMany(l => l.Addresses).ToList() ?? [];
        var source = row?.Source ?? "";
        var outbound = System.Net.IPAddress.TryParse(source, out var address) ? lan.Any(a => a.Network.Contains(address)) : row is not null;
        int Rank(string pane)
        {
            var rank = pane switch
            {
                _ when pane.StartsWith("pc/", StringComparison.Ordinal) => 0,
                _ when pane.StartsWith("wan/", StringComparison.Ordinal) => 4,
                $"host/{WorldDefinition.UplinkName}" => 3,
                _ when _topology?.Host.Link(pane["host/".Length..]) is { Kind: "bridge" } => 2,
                _ => 1,
            };
            return outbound ? rank : -rank;
        }
        return journey with { Hops = [.. journey.Hops.OrderBy(h => h.OffsetMicros).ThenBy(h => Rank(h.InterfaceKey))] };
    }

    private GraphJourney JourneyOnGraph(PacketJourney journey)
    {
        var hops = journey.Hops.Select(h => (h.InterfaceKey, h.OffsetMicros / 1000.0,
            (IReadOnlyList<string>)h.Changes.Select(c => c.Describe()).ToList())).ToList();
        // The VM whose tap saw it first sent it; a packet seen on the wan's cable reached the server's side.
        var first = hops.Count > 0 && hops[0].Item1.StartsWith("host/", StringComparison.Ordinal) ? hops[0].Item1["host/".Length..] : null;
        var sender = Labs.DefinitionOf(Lab)?.Vms.FirstOrDefault(vm => vm.Tap == first)?.Name;
        return GraphJourney.Of(hops, sender, arrived: hops.Any(h => h.Item1 == $"wan/{WorldDefinition.PeerName}"));
    }

    // The address names the open panes, so a reload or a shared link shows the same view.
    private void KeepAddressInStep() =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("panes", string.Join(',', _panes)), replace: true);
}

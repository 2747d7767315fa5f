using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using NetDashboard.Model;

namespace NetDashboard.Components.Controls;

/// <summary>The lab's topology drawn by Cytoscape.js (wwwroot/js/topology-graph.js); the model is diffed there, so nodes keep their place.</summary>
public sealed partial class TopologyGraphView
{
    private ElementReference _container;
    private IJSObjectReference? _module;
    private IJSObjectReference? _graph;
    private DotNetObjectReference<TopologyGraphView>? _self;
    private GraphModel? _drawn;
    private string? _drawnSelection;
    private GraphJourney? _drawnJourney;
    private IReadOnlyDictionary<string, string>? _drawnRates;

    /// <summary>The graph to draw; a new instance redraws what changed.</summary>
    [Parameter, EditorRequired] public GraphModel Model { get; set; } = GraphModel.Empty;

    /// <summary>The id of the selected node or edge, or null.</summary>
    [Parameter] public string? Selected { get; set; }

    /// <summary>Raised when a node or edge is clicked (null when the background is).</summary>
    [Parameter] public EventCallback<string?> SelectedChanged { get; set; }

    /// <summary>A packet's way to light on the graph (a trace, or the captures' selected row); null lights nothing.</summary>
    [Parameter] public GraphJourney? Journey { get; set; }

    /// <summary>Packets per second to write on edges, by edge id ("12 pkt/s"); null or empty writes none.</summary>
    [Parameter] public IReadOnlyDictionary<string, string>? Rates { get; set; }

    /// <summary>Label colour, so labels stay readable in the dark theme.</summary>
    [Parameter] public string Foreground { get; set; } = "#212121";

    /// <summary>The backdrop behind labels: the page's own background, so a label reads over lines and boxes.</summary>
    [Parameter] public string Background { get; set; } = "#ffffff";

    /// <summary>Where a VM's console lives, e.g. "labs/LAB/vms": double-click or Enter on a VM opens BASE/VM/console.</summary>
    [Parameter] public string ConsoleBase { get; set; } = "";

    private (string, string)? _drawnColors;
    private bool _disposed;

    // A render queued just before the page went away (a live update racing a navigation) finds the graph disposed:
    // that is not an error of the circuit, so it must not end it.
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        try
        {
            await DrawAsync(firstRender);
        }
        catch (Exception e) when (_disposed && e is ObjectDisposedException or JSDisconnectedException or TaskCanceledException)
        {
        }
    }

    private async Task DrawAsync(bool firstRender)
    {
        if (_disposed) return;
        if (firstRender)
        {
            _self = DotNetObjectReference.Create(this);
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/topology-graph.js");
            _graph = await _module.InvokeAsync<IJSObjectReference>("create", _container, _self, Foreground, Background, ConsoleBase);
            _drawnColors = (Foreground, Background);
        }
        if (_module is null || _graph is null) return;
        if (_drawnColors != (Foreground, Background))
        {
            _drawnColors = (Foreground, Background);
            await _module.InvokeVoidAsync("setColors", _graph, Foreground, Background);
        }
        if (!ReferenceEquals(_drawn, Model))
        {
            _drawn = Model;
            await _module.InvokeVoidAsync("update", _graph, Model);
        }
        if (!ReferenceEquals(_drawnJourney, Journey))
        {
            _drawnJourney = Journey;
            await _module.InvokeVoidAsync("journey", _graph, Journey?.Steps ?? []);
        }
        if (!ReferenceEquals(_drawnRates, Rates))
        {
            _drawnRates = Rates;
            await _module.InvokeVoidAsync("rates", _graph, Rates ?? new Dictionary<string, string>());
        }
        if (_drawnSelection != Selected)
        {
            _drawnSelection = Selected;
            await _module.InvokeVoidAsync("select", _graph, Selected);
        }
    }

    [JSInvokable]
    public Task OnSelected(string? id) => SelectedChanged.InvokeAsync(id);

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        try
        {
            if (_module is not null && _graph is not null)
                await _module.InvokeVoidAsync("dispose", _graph);
            if (_graph is not null) await _graph.DisposeAsync();
            if (_module is not null) await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The browser has gone; nothing left to clean up there.
        }
        _self?.Dispose();
    }
}

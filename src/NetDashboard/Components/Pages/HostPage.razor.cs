using System.Threading.Channels;
using Microsoft.AspNetCore.Components;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;
using NetDashboard.Model;

namespace NetDashboard.Components.Pages;

/// <summary>
/// Observe mode: this host's networks as its kernel holds them, read again every few seconds and drawn like a lab.
/// Only <see cref="HostObservation"/> is reachable from here, which reads and never changes anything.
/// </summary>
public sealed partial class HostPage : IAsyncDisposable
{
    // Each read starts a few `ip` processes per namespace: often enough to catch what ip monitor does not report, rare enough to cost little.
    private static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(3);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _oneRead = new(1, 1);
    private ObservedHost? _host;
    private GraphModel _graph = GraphModel.Empty;
    private string? _selected;
    private string? _problem;
    private bool _reading;

    [Inject] private HostObservation Observation { get; set; } = null!;
    [Inject] private ILogger<HostPage> Logger { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    /// <summary>Panes to open, e.g. "4026532291/vnet0,4026532291/virbr0" (a namespace's inode and an interface each).</summary>
    [SupplyParameterFromQuery(Name = "panes")] public string? Panes { get; set; }

    // Side by side, a pane needs about 330 px: six fill a wide screen.
    private const int MaxPanes = 6;
    private readonly List<HostInterface> _panes = [];
    private HostCaptureScope _scope = null!;
    private long _zeroMicros;
    private (string Pane, PacketRow Row, PacketDetail? Detail)? _chosen;
    private PacketJourney? _journey, _reply;

    private string ObservedAt => _host is null
        ? _problem is null ? "reading the kernel…" : ""
        : $"read {_host.TakenAt.ToLocalTime():HH:mm:ss} in {_host.ElapsedMs} ms · {_host.Namespaces.Count} namespace{(_host.Namespaces.Count == 1 ? "" : "s")}";

    protected override void OnInitialized()
    {
        _scope = new HostCaptureScope(Observation);
        _zeroMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        // A name that can never be an interface of this host opens no pane; the others open, and say so if they are missing.
        _panes.AddRange((Panes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pane => HostInterface.TryParse(pane, out var at) ? at : (HostInterface?)null).OfType<HostInterface>().Distinct().Take(MaxPanes));
        _ = FollowAsync(_stop.Token);
    }

    private void AddPane(HostInterface pane)
    {
        if (_panes.Contains(pane)) return;
        if (_panes.Count == MaxPanes) _panes.RemoveAt(0);
        _panes.Add(pane);
        KeepAddressInStep();
    }

    private void ClosePane(string name)
    {
        if (!HostInterface.TryParse(name, out var pane)) return;
        _panes.Remove(pane);
        if (_chosen?.Pane == name) _chosen = null;
        KeepAddressInStep();
    }

    private HostWhy? _why;
    private string? _whyProblem;
    private bool _asking;

    private async Task WhyAsync()
    {
        if (_chosen is not { } chosen) return;
        _asking = true;
        var (result, why) = await Observation.WhyAsync(chosen.Pane, chosen.Row.Group, chosen.Row.Source, chosen.Row.Destination, _stop.Token);
        (_why, _whyProblem, _asking) = (why, why is null ? result.Message : null, false);
    }

    private void OnRowSelected((string Pane, PacketRow Row, PacketDetail? Detail) selection)
    {
        (_why, _whyProblem) = (null, null);
        _chosen = selection;
        _journey = Observation.JourneyOf(selection.Row.Group);
        _reply = _journey?.ReplyGroupIds.Select(Observation.JourneyOf).FirstOrDefault(j => j is not null);
    }

    // "vnet0", or "eth0 in container web (net:[…])" when the interface is not in the observed namespace.
    private string PaneTitle(HostInterface pane) =>
        _host?.Find(pane.Namespace) is { IsTarget: false } ns ? $"{pane.Name} in {ns.Label}" : pane.Name;

    private string PaneTitle(string pane) => HostInterface.TryParse(pane, out var at) ? PaneTitle(at) : pane;

    private string HopName(InterfaceRef hop)
    {
        var (iface, path) = HostInterface.ParseHop(hop.Name);
        return _host?.Namespaces.FirstOrDefault(n => n.Path == path) is { } ns ? PaneTitle(new HostInterface(ns.Inode, iface)) : iface;
    }

    // The address names the open panes, so a reload or a shared link shows the same captures.
    private void KeepAddressInStep() =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("panes", string.Join(',', _panes)), replace: true);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Read again when the kernel says something changed (ip monitor), and every few seconds for what it does
            // not say (nft rules, processes, namespaces beyond a veth); a burst of events is one reading.
            var pulses = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            _ = ForwardAsync(Observation.ChangesAsync(cancellationToken), pulses.Writer, cancellationToken);
            _ = ForwardAsync(Ticks(cancellationToken), pulses.Writer, cancellationToken);
            do
            {
                await ReadAsync(cancellationToken);
                await pulses.Reader.ReadAsync(cancellationToken);
                await Task.Delay(Settle, cancellationToken);
                pulses.Reader.TryRead(out _);
            }
            while (true);
        }
        catch (Exception e) when (e is OperationCanceledException || (e is ObjectDisposedException && _stop.IsCancellationRequested))
        {
            // The page went away.
        }
        catch (Exception e)
        {
            // A page that stops following must say so, not freeze silently.
            Logger.LogError(e, "Observing this host stopped");
            await InvokeAsync(() =>
            {
                _reading = false;
                _problem = $"reading this host stopped: {e.Message}. Reload the page.";
                StateHasChanged();
            });
        }
    }

    // Lets a burst of kernel events (a link made, its address, its routes) end before the one reading they cause.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private static async Task ForwardAsync(IAsyncEnumerable<bool> source, ChannelWriter<bool> pulses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var pulse in source.WithCancellation(cancellationToken))
                pulses.TryWrite(pulse);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async IAsyncEnumerable<bool> Ticks([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ReadEvery);
        while (await timer.WaitForNextTickAsync(cancellationToken))
            yield return true;
    }

    private Task ReadNowAsync() => ReadAsync(_stop.Token);

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        await _oneRead.WaitAsync(cancellationToken);
        try
        {
            await InvokeAsync(() => { _reading = true; StateHasChanged(); });
            var (result, host) = await Observation.ObserveAsync(cancellationToken);
            await InvokeAsync(() =>
            {
                _reading = false;
                _problem = host is null ? result.Message : null;
                _host = host ?? _host;
                Redraw();
                StateHasChanged();
                // Neighbours and tracked connections change with traffic: read again with the host.
                if (host is not null) _ = ReadDetailsAsync(_selected);
            });
        }
        finally
        {
            _oneRead.Release();
        }
    }

    // Namespaces opened on a host of many (HostGraph.CollapseAbove): drawn whole, the others one box each.
    private readonly HashSet<ulong> _opened = [];
    // Every element, collapsed or not: what the list shows and a search looks through.
    private GraphModel _everything = GraphModel.Empty;

    private void Redraw()
    {
        if (_host is null) return;
        // The same host read again draws nothing new: the graph keeps its instance, so the browser is not asked to redraw.
        var graph = HostGraph.Build(_host, _opened);
        if (!graph.Nodes.SequenceEqual(_graph.Nodes) || !graph.Edges.SequenceEqual(_graph.Edges))
            _graph = graph;
        _everything = HostGraph.Build(_host, collapse: false);
    }

    // Choosing a collapsed namespace, or an element inside one (from the list or a search), opens it on the graph.
    private void OnSelected(string? id)
    {
        _selected = id;
        _ = ReadDetailsAsync(id);
        if (_host is null || HostElementId.Parse(id) is not { } element || _host.Find(element.Namespace) is not { } ns
            || !HostGraph.IsCollapsed(_host, ns, _opened)) return;
        _opened.Add(ns.Inode);
        Redraw();
    }

    private HostDetails? _details;

    // What changes with traffic is read for the element chosen, not with every reading of the host; nothing chosen, the observed namespace's.
    private async Task ReadDetailsAsync(string? id)
    {
        var element = HostElementId.Parse(id);
        var inode = element?.Namespace ?? _host?.Namespaces.FirstOrDefault(n => n.IsTarget)?.Inode;
        if (inode is null) return;
        try
        {
            var (_, details) = await Observation.DetailsAsync(inode.Value, element?.Kind == HostElementKind.Link ? element.Name : null, _stop.Token);
            await InvokeAsync(() =>
            {
                if (_selected != id) return;
                _details = details;
                StateHasChanged();
            });
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The page went away while it was read.
        }
    }

    private void CloseAllNamespaces()
    {
        _opened.Clear();
        if (HostElementId.Parse(_selected) is { Kind: not HostElementKind.Namespace }) _selected = null;
        Redraw();
    }

    private string? _query;

    private IReadOnlyList<GraphNode> Found => HostGraph.Matching(_everything, _query);

    private void FindKey(Microsoft.AspNetCore.Components.Web.KeyboardEventArgs e)
    {
        if (e.Key == "Enter" && Found.FirstOrDefault() is { } first) OnSelected(first.Id);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}

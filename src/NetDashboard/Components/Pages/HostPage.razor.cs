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
    // Each read starts a few `ip` processes per namespace: often enough to follow a change by eye, rare enough to cost little.
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

    private string ObservedAt => _host is null
        ? _problem is null ? "reading the kernel…" : ""
        : $"read {_host.TakenAt.ToLocalTime():HH:mm:ss} in {_host.ElapsedMs} ms · {_host.Namespaces.Count} namespace{(_host.Namespaces.Count == 1 ? "" : "s")}";

    protected override void OnInitialized() => _ = FollowAsync(_stop.Token);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(ReadEvery);
            do
                await ReadAsync(cancellationToken);
            while (await timer.WaitForNextTickAsync(cancellationToken));
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

    private Task ReadNowAsync() => ReadAsync(_stop.Token);

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        await _oneRead.WaitAsync(cancellationToken);
        try
        {
            await InvokeAsync(() => { _reading = true; StateHasChanged(); });
            var (result, host) = await Observation.ObserveAsync(cancellationToken);
            // The same host read again draws nothing new: the graph keeps its instance, so the browser is not asked to redraw.
            var graph = host is null ? _graph : HostGraph.Build(host);
            if (graph.Nodes.SequenceEqual(_graph.Nodes) && graph.Edges.SequenceEqual(_graph.Edges))
                graph = _graph;
            await InvokeAsync(() =>
            {
                _reading = false;
                _problem = host is null ? result.Message : null;
                _host = host ?? _host;
                _graph = graph;
                StateHasChanged();
            });
        }
        finally
        {
            _oneRead.Release();
        }
    }

    private void OnSelected(string? id) => _selected = id;

    private string? _query;

    private IReadOnlyList<GraphNode> Found => HostGraph.Matching(_graph, _query);

    private void FindKey(Microsoft.AspNetCore.Components.Web.KeyboardEventArgs e)
    {
        if (e.Key == "Enter" && Found.FirstOrDefault() is { } first) _selected = first.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}

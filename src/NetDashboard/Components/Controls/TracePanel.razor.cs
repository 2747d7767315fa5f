using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Components.Controls;

/// <summary>
/// "Why can't vm1 reach 203.0.113.5?": runs a trace through the lab service, shows where the probe was seen and what
/// NAT rewrote, lights its way on the graph, and when it was lost gives the verdict with a button that applies the
/// fix (a host operation or a guest command, journaled like any other) and traces again.
/// </summary>
public sealed partial class TracePanel : IAsyncDisposable
{
    private string? _from, _to = "203.0.113.5", _protocol = "icmp";
    private string? _failure, _fixed;
    private Dictionary<string, string> _problems = [];
    private TraceReport? _report;
    private bool _running;
    private string? _followedSelection;
    private ElementReference _result;
    private bool _reveal;
    private IJSObjectReference? _scroll;

    [Inject] private LabService Labs { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Parameter, EditorRequired] public string Lab { get; set; } = "";

    /// <summary>The lab file's wants: its VMs are the senders offered, its internet server the default target.</summary>
    [Parameter] public LabDefinition? Definition { get; set; }

    /// <summary>The graph's selection: a VM selected there becomes the sender.</summary>
    [Parameter] public string? Selected { get; set; }

    /// <summary>Raised with the probe's way after each trace, for the graph to light.</summary>
    [Parameter] public EventCallback<GraphJourney?> OnJourney { get; set; }

    private IEnumerable<string> Senders => (Definition?.Vms.Where(vm => vm.IsBuiltin).Select(vm => vm.Name) ?? []).Concat(["pc", "host"]);

    protected override void OnParametersSet()
    {
        _from ??= Senders.First();
        if (Definition is not null && _to == "203.0.113.5") _to = Definition.World.InternetServer.ToString();
        // A VM chosen on the graph is the question's subject, once per selection (the field stays the person's after).
        if (Selected != _followedSelection)
        {
            _followedSelection = Selected;
            if (GraphElementId.Parse(Selected) is { Kind: GraphElementKind.Vm, Name: { } vm } && Senders.Contains(vm)) _from = vm;
        }
    }

    // The panel sits below the inspector: a result that appeared below the fold is brought into view, once per trace.
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!_reveal) return;
        _reveal = false;
        _scroll ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/scroll.js");
        await _scroll.InvokeVoidAsync("reveal", _result);
    }

    private async Task KeyAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter") await TraceAsync();
    }

    private async Task TraceAsync()
    {
        if (_running) return;
        _running = true;
        _failure = null;
        try
        {
            var outcome = await Labs.TraceAsync(Lab, _from, _to?.Trim(), _protocol?.Trim());
            _problems = outcome.Result.Problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.First().Message);
            _report = outcome.Report;
            _reveal = _report is not null;
            if (outcome.Report is null && _problems.Count == 0) _failure = outcome.Result.Message;
            else if (_problems.Keys.Except(["to", "protocol"]).Any()) _failure = string.Join("; ", outcome.Result.Problems);
            await OnJourney.InvokeAsync(_report is null ? null : JourneyOf(_report));
        }
        finally
        {
            _running = false;
        }
    }

    private async Task FixAsync(TraceFix fix)
    {
        var result = await Labs.ApplyFixAsync(Lab, fix);
        _fixed = result.Succeeded ? $"ran {fix.Tutorial}" : $"{fix.Tutorial} failed: {result.Message}";
        if (result.Succeeded) await TraceAsync();
    }

    private static GraphJourney JourneyOf(TraceReport report) =>
        GraphJourney.Of(report.Request.Where(h => h.Seen).Select(GraphHop.Of).ToList(),
            report.From is "pc" or "host" ? null : report.From, report.Arrived);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_scroll is not null) await _scroll.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The tab is closed; the module went with it.
        }
    }
}

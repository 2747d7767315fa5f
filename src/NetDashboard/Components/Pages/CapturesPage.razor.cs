using Microsoft.AspNetCore.Components;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Lessons;
using NetDashboard.Lab.Model;

namespace NetDashboard.Components.Pages;

/// <summary>
/// Live captures side by side, on one time axis: by default the interfaces the lab's lesson is about (NAT: tap0,
/// br0 and ens160, so the rewrite of the source address reads across one line), any interface of the lab addable.
/// </summary>
public sealed partial class CapturesPage
{
    private readonly List<string> _panes = [];
    private IReadOnlyList<string> _candidates = [];
    private string? _toAdd;
    private string? _problem;
    private long _zeroMicros;
    private (string Pane, PacketRow Row, PacketDetail? Detail)? _selected;

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
        _pinged = $"({from})$ ping {target} …";
        StateHasChanged();
        ActionResult? last = null;
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            last = await Labs.PingAsync(Lab, from, target);
        }
        _pinged = last!.Succeeded ? $"({from})$ ping {target}: replies received — watch the rows above" : last.Message;
        StateHasChanged();
    }

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

    private void OnSelect((string Pane, PacketRow Row, PacketDetail? Detail) selection) => _selected = selection;

    // The address names the open panes, so a reload or a shared link shows the same view.
    private void KeepAddressInStep() =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("panes", string.Join(',', _panes)), replace: true);
}

using NetDashboard.Lab.Model;
using NetDashboard.Model;
using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using MudBlazor;

namespace NetDashboard.Components.Controls;

/// <summary>
/// One live capture, as tcpdump would print it: rows arrive in batches (at most ten a second, from the shared
/// <see cref="ICaptureLease"/>), only the visible ones are rendered, and the list follows the newest row until the
/// reader scrolls back. The pane holds a lease on the capture; leaving the page releases it.
/// </summary>
public sealed partial class CapturePane : IAsyncDisposable
{
    /// <summary>Rows one pane keeps; older ones leave the view (the capture itself keeps its own bounded store).</summary>
    private const int MaxRowsShown = 10_000;
    /// <summary>A one-line row's height in pixels (the CSS's .capture-row min-height): Virtualize's first guess; rows
    /// wrap in narrow panes, and Virtualize measures the rows it renders.</summary>
    private const int RowHeight = 22;

    private readonly List<PacketRow> _rows = [];
    private CancellationTokenSource? _reading;
    private ICaptureLease? _lease;
    private CaptureStats? _stats;
    private ElementReference _list;
    private IJSObjectReference? _module;
    private long _cursor = -1;
    private long _missed;
    private bool _paused;
    private bool _disposed;
    private string? _filterText, _filterProblem, _problem;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    /// <summary>Whose interfaces: a lab's or this host's.</summary>
    [Parameter, EditorRequired] public ICaptureScope Scope { get; set; } = null!;

    /// <summary>The capture as its scope names it: "host/tap0" in a lab, "4026532291/vnet0" on this host.</summary>
    [Parameter, EditorRequired] public string Pane { get; set; } = "";

    /// <summary>The pane's heading; the pane's name when not given.</summary>
    [Parameter] public string? Title { get; set; }

    /// <summary>The shared time axis: kernel time (µs since the epoch) that every pane of the page counts from.</summary>
    [Parameter] public long ZeroMicros { get; set; }

    /// <summary>The sequence of the row selected on this pane, to mark it.</summary>
    [Parameter] public long? SelectedSequence { get; set; }

    /// <summary>
    /// The row selected on another pane: this pane's row of the same packet (same <see cref="PacketRow.Group"/>) is
    /// marked, scrolled into view and says what changed between the two. Rows keep their group, so this works
    /// however long ago the packet passed.
    /// </summary>
    [Parameter] public PacketRow? SelectedElsewhere { get; set; }

    private long? TwinSequence;
    private string? TwinChanges;

    protected override void OnParametersSet()
    {
        var twin = SelectedElsewhere is { Group: not 0 } selected ? _rows.FindLast(r => r.Group == selected.Group) : null;
        TwinSequence = twin?.Sequence;
        TwinChanges = twin is null ? null : Changes(SelectedElsewhere!, twin);
    }

    /// <summary>NAT's rewrite between two copies of a packet, earlier copy first: "source 192.168.1.10 → 10.180.13.232".</summary>
    public static string Changes(PacketRow one, PacketRow other)
    {
        var (before, after) = one.TimestampMicros <= other.TimestampMicros ? (one, other) : (other, one);
        var changes = new List<string>();
        if (before.Source != after.Source) changes.Add($"source {before.Source} → {after.Source}");
        if (before.Destination != after.Destination) changes.Add($"destination {before.Destination} → {after.Destination}");
        return string.Join(", ", changes);
    }

    /// <summary>A tracked connection chosen in the NAT table: its packets are marked, before and after NAT.</summary>
    [Parameter] public Lab.Model.NatEntry? Flow { get; set; }

    // By the flow the correlator gave the row, never by its addresses: the host's own ping to the server is another flow.
    private bool InFlow(PacketRow row) => Flow is { } flow && row.Flow != 0 && Scope.InFlow(flow, row.Flow);

    /// <summary>Raised with the decoded packet when a row is clicked (null when its bytes are no longer kept).</summary>
    [Parameter] public EventCallback<(string Pane, PacketRow Row, PacketDetail? Detail)> OnSelect { get; set; }

    /// <summary>Raised when the pane's close button is clicked.</summary>
    [Parameter] public EventCallback<string> OnClose { get; set; }

    private long? _revealed;

    protected override Task OnInitializedAsync() => OpenAsync("");

    private int SeenOn(PacketRow row) => row.Group == 0 ? 0 : Scope.SeenOn(row.Group);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        try
        {
            if (firstRender)
            {
                _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/capture-pane.js");
                await _module.InvokeVoidAsync("watch", _list);
            }
            else if (_module is not null && !_disposed && TwinSequence != _revealed)
            {
                // A twin was chosen: show it in the middle of the list (the list stops following the newest row).
                _revealed = TwinSequence;
                var index = TwinSequence is { } twin ? _rows.FindIndex(r => r.Sequence == twin) : -1;
                if (index >= 0) await _module.InvokeVoidAsync("reveal", _list, index, _rows.Count);
            }
            else if (_module is not null && !_disposed)
            {
                await _module.InvokeVoidAsync("follow", _list);
            }
        }
        catch (Exception e) when (_disposed && e is ObjectDisposedException or JSDisconnectedException or TaskCanceledException)
        {
            // A batch rendered just as the page went away.
        }
    }

    private async Task OpenAsync(string filter)
    {
        var opening = await Scope.OpenAsync(Pane, filter);
        if (opening.Lease is not { } lease)
        {
            _filterProblem = opening.Result.Problems.FirstOrDefault(p => p.Field == "filter")?.Message;
            _problem = _filterProblem is null ? opening.Result.Message : null;
            return;
        }
        await CloseAsync();
        _lease = lease;
        _problem = _filterProblem = null;
        _cursor = lease.Next;
        StartReading();
    }

    private void StartReading()
    {
        if (_lease is null) return;
        _reading = new CancellationTokenSource();
        _ = ReadAsync(_lease, _cursor, _reading.Token);
    }

    private async Task ReadAsync(ICaptureLease lease, long from, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in lease.ReadAsync(from, cancellationToken))
            {
                await InvokeAsync(() =>
                {
                    _rows.AddRange(batch.Rows);
                    if (_rows.Count > MaxRowsShown) _rows.RemoveRange(0, _rows.Count - MaxRowsShown);
                    _missed += batch.Missed;
                    _stats = batch.Stats;
                    if (batch.Rows.Count > 0) _cursor = batch.Rows[^1].Sequence + 1;
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away while a batch was on its way.
        }
    }

    private async Task TogglePauseAsync()
    {
        _paused = !_paused;
        if (_paused && _reading is not null)
            await _reading.CancelAsync();
        else if (!_paused)
            StartReading();
    }

    private void Clear() => _rows.Clear();

    private async Task FilterKeyAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter") await ApplyFilterAsync();
    }

    private async Task ApplyFilterAsync()
    {
        _rows.Clear();
        // Spaces around the filter go; a control character is the filter's problem to refuse, never cleaned away.
        await OpenAsync(_filterText?.Trim(' ') ?? "");
    }

    private async Task SelectAsync(PacketRow row) =>
        await OnSelect.InvokeAsync((Pane, row, _lease?.Detail(row.Sequence)));

    private string Relative(PacketRow row) =>
        ((row.TimestampMicros - ZeroMicros) / 1e6).ToString("0.000000", CultureInfo.InvariantCulture);

    private static string Tooltip(PacketRow row) =>
        $"{DateTimeOffset.FromUnixTimeMilliseconds(row.TimestampMicros / 1000).ToLocalTime():HH:mm:ss.fff}  {row.SourceMac} > {row.DestinationMac}  {row.Protocol}, {row.Length} bytes";

    private string StateText => _stats?.State switch
    {
        CaptureState.Running => _paused ? "paused" : "capturing",
        CaptureState.InterfaceGone => "interface gone; waiting for it",
        CaptureState.Failed => $"failed: {_stats.Message}",
        null => _problem is null ? "opening…" : "not capturing",
        var state => state.ToString()!.ToLowerInvariant(),
    };

    private Color StateColor => _stats?.State switch
    {
        CaptureState.Running => _paused ? Color.Default : Color.Success,
        CaptureState.InterfaceGone => Color.Warning,
        CaptureState.Failed => Color.Error,
        _ => Color.Default,
    };


    private async Task CloseAsync()
    {
        if (_reading is not null)
        {
            await _reading.CancelAsync();
            _reading.Dispose();
            _reading = null;
        }
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
            _lease = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await CloseAsync();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
    }
}

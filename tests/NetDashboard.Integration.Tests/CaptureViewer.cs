using NetDashboard.Lab.Model;
using Microsoft.AspNetCore.SignalR.Client;
using NetDashboard.Lab.Capture;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// An outside viewer of one capture: its own connection to the dashboard's capture hub, streaming one interface and
/// keeping every row and the latest counters until it is disposed (which closes its stream and connection).
/// </summary>
public sealed class CaptureViewer : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PacketRow> _rows = [];
    private readonly Task _reading;
    private CaptureStats? _stats;

    private CaptureViewer(HubConnection connection, string lab, string ns, string iface, string filter)
    {
        _connection = connection;
        var batches = connection.StreamAsync<CaptureBatch>("Stream", lab, ns, iface, filter, _stop.Token);
        _reading = Task.Run(async () =>
        {
            await foreach (var batch in batches)
            {
                lock (_rows)
                {
                    _rows.AddRange(batch.Rows);
                    _stats = batch.Stats;
                }
            }
        });
    }

    public static async Task<CaptureViewer> OpenAsync(AppProcess app, string lab, string ns, string iface, string filter = "") =>
        new(await app.ConnectCaptureHubAsync(), lab, ns, iface, filter);

    /// <summary>The rows received so far, oldest first.</summary>
    public IReadOnlyList<PacketRow> Rows
    {
        get { lock (_rows) return [.. _rows]; }
    }

    /// <summary>The counters of the newest batch (a batch comes at least once a second), null before the first.</summary>
    public CaptureStats? Stats
    {
        get { lock (_rows) return _stats; }
    }

    /// <summary>Waits until the capture's handle is open: what is sent from now on is seen.</summary>
    public Task WaitUntilRunningAsync(TimeSpan timeout) =>
        Poll.UntilAsync(() => Stats?.State == CaptureState.Running, timeout, $"the capture running (it is {Stats?.State}: {Stats?.Message})");

    /// <summary>Waits until the rows hold at least <paramref name="count"/> that match.</summary>
    public Task WaitForRowsAsync(Func<PacketRow, bool> match, int count, TimeSpan timeout) =>
        Poll.UntilAsync(() => Rows.Count(match) >= count, timeout, $"{count} matching rows (have: {string.Join(" | ", Rows.TakeLast(5).Select(r => r.Info))})");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // Cancelled, or ended by the dashboard going away: either way this viewer is done.
        await _reading.ContinueWith(_ => { }, TaskScheduler.Default);
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}

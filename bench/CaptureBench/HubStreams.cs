using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NetDashboard.Lab.Model;

namespace NetDashboard.Bench.CaptureBench;

/// <summary>
/// Hub clients as an outside program would be: one connection per pane, each counting the rows it receives and the
/// rows the server told it it missed. The counters are cumulative, so the script takes a difference between two moments
/// when no traffic flows (before the UDP starts and after it has drained) and timing does not matter.
/// </summary>
internal static class HubStreams
{
    public static async Task<int> RunAsync(Options options, CancellationToken stop)
    {
        var panes = options.Panes.Select(p => new PaneCounter(p)).ToList();
        var connections = new List<HubConnection>();
        var failed = 0;
        try
        {
            foreach (var pane in panes)
                connections.Add(await ConnectAsync(options, stop));
            var readers = panes.Select((pane, i) => ReadAsync(connections[i], options.Lab, pane, stop)).ToList();
            var writer = WriteStatusAsync(options.Status!, panes, stop);
            // A stream ends on its own only on failure; otherwise all end together when told to stop.
            if (await await Task.WhenAny(readers) is { } error)
            {
                Console.Error.WriteLine(error);
                failed = 1;
            }
            else
            {
                await Task.WhenAll(readers);
                await writer.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            await WriteStatusOnceAsync(options.Status!, panes);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
        return failed;
    }

    public static async Task<HubConnection> ConnectAsync(Options options, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(options.Url, "hubs/captures"), o => o.Headers["Authorization"] = $"Bearer {options.Token}")
            .AddMessagePackProtocol()
            .Build();
        await connection.StartAsync(cancellationToken);
        return connection;
    }

    /// <returns>null when stopped; otherwise why the stream ended.</returns>
    private static async Task<string?> ReadAsync(HubConnection connection, string lab, PaneCounter pane, CancellationToken stop)
    {
        var slash = pane.Name.IndexOf('/');
        try
        {
            await foreach (var batch in connection.StreamAsync<CaptureBatch>("Stream", lab, pane.Name[..slash], pane.Name[(slash + 1)..], "", stop))
                pane.Add(batch);
            return stop.IsCancellationRequested ? null : $"{pane.Name}: the stream ended";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            return $"{pane.Name}: {e.GetType().Name}: {e.Message}";
        }
    }

    private static async Task WriteStatusAsync(string path, List<PaneCounter> panes, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(stop))
            await WriteStatusOnceAsync(path, panes);
    }

    private static async Task WriteStatusOnceAsync(string path, List<PaneCounter> panes)
    {
        var status = new Dictionary<string, object>
        {
            ["at"] = Program.EpochMs(),
            ["panes"] = panes.ToDictionary(p => p.Name, p => p.Snapshot()),
        };
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(status));
        File.Move(temp, path, overwrite: true);
    }

    private sealed class PaneCounter(string name)
    {
        private readonly Lock _gate = new();
        private long _rows, _missed, _batches, _firstSequence = -1, _lastSequence = -1;
        private CaptureStats? _stats;

        public string Name => name;

        public void Add(CaptureBatch batch)
        {
            lock (_gate)
            {
                _batches++;
                _rows += batch.Rows.Count;
                _missed += batch.Missed;
                _stats = batch.Stats;
                if (batch.Rows.Count > 0)
                {
                    if (_firstSequence < 0) _firstSequence = batch.Rows.Min(r => r.Sequence);
                    _lastSequence = Math.Max(_lastSequence, batch.Rows.Max(r => r.Sequence));
                }
            }
        }

        public object Snapshot()
        {
            lock (_gate)
                return new
                {
                    batches = _batches,
                    rows = _rows,
                    missed = _missed,
                    firstSequence = _firstSequence,
                    lastSequence = _lastSequence,
                    state = _stats?.State.ToString() ?? "",
                    packetsSeen = _stats?.PacketsSeen ?? 0,
                    kernelDrops = _stats?.KernelDrops ?? 0,
                    ringDrops = _stats?.RingDrops ?? 0,
                    packetsPerSecond = _stats?.PacketsPerSecond ?? 0,
                };
        }
    }
}

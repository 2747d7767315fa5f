using NetDashboard.Lab.Runtime;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Events;

/// <summary>
/// A lab's kernel, followed by a <see cref="TopologyWatcher"/>: keeps the latest snapshot and the reason the last read
/// failed, and appends <see cref="KernelChanged"/> or <see cref="KernelReadFailed"/> (snapshots are not kept in the ring:
/// only the latest matters).
/// </summary>
internal sealed class KernelSource : IAsyncDisposable
{
    private readonly EventRing<LabEvent> _ring;
    private readonly TopologyWatcher _watcher;
    private readonly Lock _gate = new();
    private Topology? _latest;
    private string? _problem;

    public KernelSource(string lab, ITopologySource reader, EventRing<LabEvent> ring, ILogger logger)
    {
        _ring = ring;
        _watcher = new TopologyWatcher(reader, lab, logger);
        _watcher.ReadFailed += OnReadFailed;
    }

    public Topology? Latest
    {
        get { lock (_gate) return _latest; }
    }

    /// <summary>Why the last read failed, or null when it worked.</summary>
    public string? Problem
    {
        get { lock (_gate) return _problem; }
    }

    /// <summary>Read the kernel now (after this process changed the lab).</summary>
    public void Trigger() => _watcher.Trigger();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var topology in _watcher.WatchAsync(cancellationToken))
            {
                lock (_gate)
                {
                    _latest = topology;
                    _problem = null;
                }
                _ring.Append(new KernelChanged());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The watcher retries every trigger: the same reason again is not news.
    private void OnReadFailed(string reason)
    {
        lock (_gate)
        {
            if (_problem == reason) return;
            _problem = reason;
        }
        _ring.Append(new KernelReadFailed(reason));
    }

    public async ValueTask DisposeAsync()
    {
        _watcher.ReadFailed -= OnReadFailed;
        await _watcher.DisposeAsync();
    }
}

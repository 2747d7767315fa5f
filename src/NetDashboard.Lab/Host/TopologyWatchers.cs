using System.Collections.Concurrent;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>
/// One <see cref="TopologyWatcher"/> per lab, shared by every viewer of that lab and stopped when the last one leaves.
/// </summary>
public sealed class TopologyWatchers(TopologyReader reader) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Shared> _watchers = new();
    private readonly Lock _gate = new();

    /// <summary>Snapshots of a lab as they change, starting with the latest one.</summary>
    public async IAsyncEnumerable<Topology> WatchAsync(string lab, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Shared shared;
        lock (_gate)
        {
            shared = _watchers.GetOrAdd(lab, l => new Shared(new TopologyWatcher(reader, l)));
            shared.Viewers++;
        }
        try
        {
            await foreach (var topology in shared.Watcher.WatchAsync(cancellationToken))
                yield return topology;
        }
        finally
        {
            var last = false;
            lock (_gate)
            {
                if (--shared.Viewers == 0)
                {
                    _watchers.TryRemove(lab, out _);
                    last = true;
                }
            }
            if (last) await shared.Watcher.DisposeAsync();
        }
    }

    /// <summary>Asks for a re-read now, after the app itself changed the lab.</summary>
    public void Trigger(string lab)
    {
        if (_watchers.TryGetValue(lab, out var shared))
            shared.Watcher.Trigger();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shared in _watchers.Values)
            await shared.Watcher.DisposeAsync();
        _watchers.Clear();
    }

    private sealed class Shared(TopologyWatcher watcher)
    {
        public TopologyWatcher Watcher { get; } = watcher;
        public int Viewers { get; set; }
    }
}

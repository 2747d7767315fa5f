using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class TopologyWatcherFailureTests
{
    /// <summary>Kernel output replayed in order: "ok" reads parse, "garbage" reads fail in the parser as a broken `ip -j` would.</summary>
    private sealed class ScriptedSource(params string[] script) : ITopologySource
    {
        private int _calls;

        public Task<Topology> ReadAsync(string lab, CancellationToken cancellationToken = default)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            var step = script[Math.Min(call, script.Length - 1)];
            var routes = KernelJsonParser.ParseRoutes(step == "garbage" ? "{not json" : "[]");
            // Each good read differs from the one before (forwarding flips), so each is published.
            var state = new NamespaceState("netdash-w-host", NamespaceRole.Host, true, [], routes, call % 2 == 0, []);
            return Task.FromResult(new Topology(lab, DateTimeOffset.UtcNow, [state]));
        }
    }

    [Fact]
    public async Task Watcher_UnparsableKernelOutput_ReportsItAndKeepsPublishing()
    {
        var source = new ScriptedSource("ok", "garbage", "garbage", "ok");
        await using var watcher = new TopologyWatcher(source, "w");
        var failures = new List<string>();
        watcher.ReadFailed += reason => { lock (failures) failures.Add(reason); };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var snapshots = new List<Topology>();

        await foreach (var topology in watcher.WatchAsync(stop.Token))
        {
            snapshots.Add(topology);
            if (snapshots.Count == 2) break;
            watcher.Trigger();
            await Task.Delay(100, stop.Token);
            watcher.Trigger();
            await Task.Delay(100, stop.Token);
            watcher.Trigger();
        }

        Assert.Equal(2, snapshots.Count);
        Assert.NotEqual(snapshots[0].Namespaces[0].Forwarding, snapshots[1].Namespaces[0].Forwarding);
        lock (failures) Assert.True(failures.Count >= 1, "the unparsable reads were reported");
    }
}

using System.Diagnostics;
using CliWrap;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

[Collection(TimedCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class TopologyWatcherTests
{
    [Fact]
    // What it promises is that ip monitor's event alone brings the snapshot: the slow timer is set far beyond the
    // bound. How fast (the 500 ms goal) is bench/ui-latency.sh's to measure: a timed test measures its neighbours too.
    public async Task Watcher_BridgeAddedFromShell_NewSnapshotFromIpMonitorsEventNotThePoll()
    {
        await using var lab = new TestLab("wa");
        await lab.UpAsync("nat-pc.yaml");
        await using var watcher = new TopologyWatcher(lab.Reader, lab.Name, poll: TimeSpan.FromMinutes(5));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var snapshots = watcher.WatchAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await snapshots.MoveNextAsync());
        Assert.Null(snapshots.Current.Host.Link("br9"));

        var changed = Stopwatch.StartNew();
        await Cli.Wrap("ip").WithArguments(["-n", lab.Namespaces.Host, "link", "add", "br9", "type", "bridge"]).ExecuteAsync();
        Topology? seen = null;
        while (seen is null && await snapshots.MoveNextAsync())
        {
            if (snapshots.Current.Host.Link("br9") is not null)
                seen = snapshots.Current;
        }
        changed.Stop();

        Assert.NotNull(seen);
        Assert.True(changed.ElapsedMilliseconds < 5000, $"the watcher took {changed.ElapsedMilliseconds} ms: the event did not bring it, so nothing did");
    }

    [Fact]
    public async Task Watcher_ForwardingTurnedOffFromShell_SnapshotShowsItOff()
    {
        await using var lab = new TestLab("wf");
        await lab.UpAsync("nat-pc.yaml");
        await using var watcher = new TopologyWatcher(lab.Reader, lab.Name);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var snapshots = watcher.WatchAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await snapshots.MoveNextAsync());
        Assert.True(snapshots.Current.Host.Forwarding);

        await lab.ExecAsync(NamespaceRole.Host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
        var off = false;
        while (!off && await snapshots.MoveNextAsync())
            off = !snapshots.Current.Host.Forwarding;

        Assert.True(off);
    }
}

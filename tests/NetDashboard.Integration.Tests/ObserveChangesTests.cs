using CliWrap;
using NetDashboard.Lab.Observe;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The page of this host reads again when the kernel says something changed: one `ip monitor … all-nsid` in the
/// observed namespace hears a change in a namespace its veth leads to. Two namespaces of the test's own.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ObserveChangesTests : IAsyncLifetime
{
    private readonly string _observed = $"netdash-hc{Guid.NewGuid().ToString("N")[..6]}-host";
    private string Peer => _observed[..^"host".Length] + "peer";

    public async Task InitializeAsync()
    {
        await Ip("netns", "add", _observed);
        await Ip("netns", "add", Peer);
        await Ip("-n", _observed, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", Peer);
    }

    [Fact]
    public async Task Watch_AnAddressAddedInTheNamespaceItsVethLeadsTo_Pulses()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // Left without cancelling: leaving the enumeration alone must end ip monitor.
        await using var changes = HostChanges.WatchAsync($"/run/netns/{_observed}", timeout.Token).GetAsyncEnumerator(CancellationToken.None);
        var pulse = changes.MoveNextAsync().AsTask();
        // ip monitor listens a moment after it starts: change until it hears one.
        for (var i = 0; !pulse.IsCompleted && i < 20; i++)
        {
            await Ip("-n", Peer, "addr", "add", $"10.78.0.{i + 2}/24", "dev", "v1");
            await Task.WhenAny(pulse, Task.Delay(500));
        }

        Assert.True(pulse.IsCompletedSuccessfully, "no pulse for a change in the peer namespace");
        Assert.True(await pulse);
    }

    [Fact]
    public async Task Watch_Cancelled_EndsAndLeavesNoIpMonitorRunning()
    {
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            await foreach (var _ in HostChanges.WatchAsync($"/run/netns/{_observed}", stop.Token))
            {
            }
        });
        await Poll.UntilAsync(() => MonitorsOfTheObserved().Count == 1, TimeSpan.FromSeconds(10), "ip monitor started in the observed namespace");

        await stop.CancelAsync();
        await watching.WaitAsync(TimeSpan.FromSeconds(10));

        await Poll.UntilAsync(() => MonitorsOfTheObserved().Count == 0, TimeSpan.FromSeconds(5), "ip monitor gone");
    }

    // nsenter execs ip: its command line is ip's, its namespace the observed one.
    private List<int> MonitorsOfTheObserved()
    {
        var pids = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0');
                if (argv is ["ip", "monitor", ..] && argv.Contains("all-nsid")
                    && new FileInfo(Path.Combine(entry, "ns", "net")).LinkTarget == NetLinkOf(_observed))
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while /proc was read.
            }
        }
        return pids;
    }

    private static string NetLinkOf(string ns) =>
        $"net:[{NetDashboard.Lab.Host.UnixFile.InodeOf($"/run/netns/{ns}")}]";

    private static Task Ip(params string[] args) => Cli.Wrap("ip").WithArguments(args).ExecuteAsync();

    public async Task DisposeAsync()
    {
        foreach (var ns in new[] { _observed, Peer })
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
    }
}

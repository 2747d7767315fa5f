using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Observe mode on a stand-in host built in namespaces of its own, never the machine's root namespace: a
/// Proxmox-style layout (vmbr0, the firewall bridge fwbr100i0 joined to it by fwpr100p0/fwln100i0, tap100i0 held by a
/// real QEMU named web100), a "container" namespace joined by a veth pair, and a policy rule with its own table.
/// Everything is recognised and labelled, and nothing in either namespace changed: links, addresses, every route
/// table, the rules, nft and iptables-save, the net sysctls, the bridges' static MAC entries and the processes are
/// the same before and after, through the service and through the dashboard's API.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed class ObserveTests : IAsyncLifetime
{
    private readonly string _host = $"netdash-obs{Guid.NewGuid().ToString("N")[..6]}-host";
    private readonly string _container = $"netdash-obs{Guid.NewGuid().ToString("N")[..6]}-pc";
    private readonly string _pidFile = Path.Combine(Path.GetTempPath(), $"netdash-obs-{Guid.NewGuid():N}.pid");
    private int? _qemu;

    private async Task InAsync(string ns, params string[] argv)
    {
        var result = await Cli.Wrap("ip").WithArguments(["netns", "exec", ns, .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"({ns})$ {string.Join(' ', argv)}: {result.StandardError}");
    }

    public async Task InitializeAsync()
    {
        foreach (var ns in new[] { _host, _container })
        {
            await Cli.Wrap("ip").WithArguments(["netns", "add", ns]).ExecuteAsync();
            // IPv6's duplicate address detection would change the link-local addresses' flags by itself while the test
            // runs ("tentative" goes away): not what the test watches for, so the stand-in has no IPv6.
            await InAsync(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        }
        await InAsync(_host, "ip", "link", "add", "name", "vmbr0", "type", "bridge");
        await InAsync(_host, "ip", "addr", "add", "10.99.1.1/24", "dev", "vmbr0");
        await InAsync(_host, "ip", "link", "add", "name", "fwbr100i0", "type", "bridge");
        await InAsync(_host, "ip", "link", "add", "name", "fwpr100p0", "type", "veth", "peer", "name", "fwln100i0");
        await InAsync(_host, "ip", "link", "set", "fwpr100p0", "master", "vmbr0");
        await InAsync(_host, "ip", "link", "set", "fwln100i0", "master", "fwbr100i0");
        // A real QEMU holds the tap, as Proxmox's does (no machine: it only needs to hold the tap open).
        await InAsync(_host, "qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none", "-name", "guest=web100,debug-threads=on",
            "-netdev", "tap,id=n0,ifname=tap100i0,script=no,downscript=no", "-daemonize", "-pidfile", _pidFile);
        _qemu = int.Parse(await File.ReadAllTextAsync(_pidFile), System.Globalization.CultureInfo.InvariantCulture);
        await InAsync(_host, "ip", "link", "set", "tap100i0", "master", "fwbr100i0");
        await InAsync(_host, "ip", "link", "add", "name", "ct0", "type", "veth", "peer", "name", "eth0", "netns", _container);
        await InAsync(_host, "ip", "link", "set", "ct0", "master", "vmbr0");
        foreach (var link in new[] { "vmbr0", "fwbr100i0", "fwpr100p0", "fwln100i0", "tap100i0", "ct0" })
            await InAsync(_host, "ip", "link", "set", link, "up");
        await InAsync(_container, "ip", "addr", "add", "10.99.1.2/24", "dev", "eth0");
        await InAsync(_container, "ip", "link", "set", "eth0", "up");
        await InAsync(_host, "ip", "rule", "add", "from", "10.99.1.0/24", "lookup", "100", "pref", "100");
        await InAsync(_host, "ip", "route", "add", "default", "via", "10.99.1.2", "table", "100");
    }

    [Fact]
    public async Task Observe_ProxmoxStyleStandIn_RecognisedJoinedAndLabelledAndNothingChangedThroughServiceAndApi()
    {
        var before = await SnapshotAsync();
        await using var lab = new TestLab("obs");
        var composition = LabComposition.Build(lab.Composition.Settings with { ObserveNamespace = _host });

        var (result, host) = await composition.Observation.ObserveAsync();
        string api;
        var runtime = Directory.CreateTempSubdirectory("netdash-observe-").FullName;
        await using (var app = await AppProcess.StartAsync(runtime, new Dictionary<string, string> { ["NetDashboard__Observe__Namespace"] = _host }))
        {
            using var http = app.CreateClient();
            api = await http.GetStringAsync("api/host/topology");
        }
        var cliSettings = DashboardCli.SettingsFor(runtime);
        cliSettings["NetDashboard__Observe__Namespace"] = _host;
        var cli = await DashboardCli.RunAsync(cliSettings, "observe");
        Directory.Delete(runtime, recursive: true);
        var after = await SnapshotAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal([_host, _container], host!.Namespaces.Select(n => n.Name));
        var observed = host.Namespaces[0];
        Assert.True(observed.IsTarget);
        Assert.Contains(host.Stacks, s => s.Label == "Proxmox: vmbr0, VM 100 (tap100i0, web100)");
        var tap = observed.Link("tap100i0")!;
        Assert.Equal(("tun", "fwbr100i0", _qemu, "web100"), (tap.Kind, tap.Master, tap.Holder?.Pid, tap.Holder?.Guest));
        Assert.Equal(("fwln100i0", observed.Inode), (observed.Link("fwpr100p0")!.PeerName, observed.Link("fwpr100p0")!.PeerNamespace));
        Assert.Equal(("eth0", host.Namespaces[1].Inode), (observed.Link("ct0")!.PeerName, observed.Link("ct0")!.PeerNamespace));
        Assert.Contains("100: from 10.99.1.0/24 lookup 100", observed.Rules);
        Assert.Contains(observed.Routes, r => r.Destination == "default" && r.Gateway == "10.99.1.2");
        Assert.Contains("qemu-system-x86", observed.Processes.Single());
        Assert.Contains("10.99.1.2/24", host.Namespaces[1].Link("eth0")!.Addresses);
        using (var json = JsonDocument.Parse(api))
        {
            Assert.Equal(_host, json.RootElement.GetProperty("target").GetString());
            Assert.Contains(json.RootElement.GetProperty("stacks").EnumerateArray(), s => s.GetProperty("label").GetString() == "Proxmox: vmbr0, VM 100 (tap100i0, web100)");
        }
        Assert.True(cli.ExitCode == 0, cli.StandardError);
        Assert.StartsWith($"observed {_host}: 2 namespaces, read in ", cli.StandardOutput);
        Assert.Contains("  Proxmox: vmbr0, VM 100 (tap100i0, web100)\n", cli.StandardOutput);
        Assert.Contains($"held by qemu-system-x86 (pid {_qemu}, guest web100)", cli.StandardOutput);
        Assert.Contains($"peer eth0 in {_container}", cli.StandardOutput);
        Assert.Equal(before, after);
    }

    // A /proc/PID/ns/net entry is a magic link: read by its name (net:[N]), not by a stat that would see the link.
    [Fact]
    public async Task Observe_TargetGivenAsTheQemusProcNamespacePath_TheSameNamespacesAsByName()
    {
        await using var lab = new TestLab("obs");
        var composition = LabComposition.Build(lab.Composition.Settings with { ObserveNamespace = $"/proc/{_qemu}/ns/net" });

        var (result, host) = await composition.Observation.ObserveAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal([_host, _container], host!.Namespaces.Select(n => n.Name));
        Assert.True(host.Namespaces[0].IsTarget);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("/etc/passwd")]
    [InlineData("/proc/self/ns/net")]
    [InlineData("a b")]
    public async Task Observe_BadNamespaceSetting_RefusedNamingTheSettingAndNothingRead(string target)
    {
        await using var lab = new TestLab("obs");
        var composition = LabComposition.Build(lab.Composition.Settings with { ObserveNamespace = target });

        var (result, host) = await composition.Observation.ObserveAsync();

        Assert.Null(host);
        Assert.Equal(ActionOutcome.Refused, result.Outcome);
        Assert.Equal([HostObservation.NamespaceSetting], result.Problems.Select(p => p.Field));
    }

    /// <summary>Everything observe mode must not change, in both namespaces, as text; counters and ages left out.</summary>
    private async Task<string> SnapshotAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var ns in new[] { _host, _container })
        {
            foreach (var argv in new[]
                     {
                         new[] { "ip", "-d", "link", "show" }, ["ip", "addr", "show"], ["ip", "route", "show", "table", "all"], ["ip", "rule", "show"],
                         ["nft", "list", "ruleset"], ["iptables-save"], ["bridge", "fdb", "show", "static"], ["sysctl", "-a", "--pattern", "^net\\.(ipv4|ipv6|core)\\."],
                     })
            {
                var read = await Cli.Wrap("ip").WithArguments(["netns", "exec", ns, .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
                // iptables-save stamps its own run's date in comments; sysctl's few live counters are not state.
                var lines = read.StandardOutput.Split('\n').Where(l => !l.StartsWith('#') && !l.Contains("_count", StringComparison.Ordinal)
                    && !l.StartsWith("net.ipv4.tcp_mem", StringComparison.Ordinal) && !l.Contains("random", StringComparison.Ordinal))
                    // A bridge's timers run down by themselves (hello_timer 1.23): time, not state.
                    .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\b\w+_timer\s+[\d.]+", ""))
                    // The bridges' learned entries come and go with traffic; the static and permanent ones are state.
                    .Where(l => argv[0] != "bridge" || l.Contains(" permanent", StringComparison.Ordinal) || l.Contains(" static", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal);
                text.AppendLine($"== {ns}: {string.Join(' ', argv)}").AppendJoin('\n', lines).AppendLine();
            }
            var pids = await Cli.Wrap("ip").WithArguments(["netns", "pids", ns]).ExecuteBufferedAsync();
            text.AppendLine($"== {ns}: pids").AppendLine(string.Join(' ', pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order()));
        }
        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        if (_qemu is { } pid && NetDashboard.Lab.Host.ProcessTable.IsRunning(pid))
            await Cli.Wrap("kill").WithArguments(["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        File.Delete(_pidFile);
        foreach (var ns in new[] { _host, _container })
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
    }
}

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
    private ProxmoxStandIn _standIn = null!;
    private string _host = "";
    private string _container = "";
    private int? _qemu;

    public async Task InitializeAsync()
    {
        _standIn = await ProxmoxStandIn.StartAsync();
        (_host, _container, _qemu) = (_standIn.Host, _standIn.Container, _standIn.QemuPid);
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

    /// <summary>
    /// A capture of this host through the API: vmbr0 while the container pings the bridge's address, read back by
    /// tshark; the bridge is never put in promiscuous mode (read while the capture runs); bad input is refused naming
    /// its field; and nothing in either namespace changed.
    /// </summary>
    [Fact]
    public async Task ObserveCapture_Vmbr0WhileTheContainerPings_PcapNgReadByTsharkNoPromiscuousModeAndNothingChanged()
    {
        var before = await SnapshotAsync();
        var runtime = Directory.CreateTempSubdirectory("netdash-observe-").FullName;
        var file = Path.Combine(runtime, "vmbr0.pcapng");
        int promiscuity;
        HttpResponseMessage capture, notANumber, notReached, noSuchLink, tooShort, panesNotACapture, panesNotOpen, details, detailsNoSuchLink, detailsNotANumber,
            why, whyNotAnAddress;
        await using (var app = await AppProcess.StartAsync(runtime, new Dictionary<string, string> { ["NetDashboard__Observe__Namespace"] = _host }))
        {
            using var http = app.CreateClient();
            using var topology = JsonDocument.Parse(await http.GetStringAsync("api/host/topology"));
            var inode = topology.RootElement.GetProperty("namespaces")[0].GetProperty("inode").GetUInt64();

            var capturing = http.GetAsync($"api/host/captures/{inode}/vmbr0.pcapng?seconds=4&filter=icmp");
            await Task.Delay(1500);
            using (var link = JsonDocument.Parse((await Cli.Wrap("ip").WithArguments(["-n", _host, "-j", "-d", "link", "show", "vmbr0"]).ExecuteBufferedAsync()).StandardOutput))
                promiscuity = link.RootElement[0].GetProperty("promiscuity").GetInt32();
            await Cli.Wrap("ip").WithArguments(["netns", "exec", _container, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.99.1.1"]).ExecuteBufferedAsync();
            capture = await capturing;
            await File.WriteAllBytesAsync(file, await capture.Content.ReadAsByteArrayAsync());
            notANumber = await http.GetAsync("api/host/captures/abc/vmbr0.pcapng?seconds=1");
            notReached = await http.GetAsync("api/host/captures/1/vmbr0.pcapng?seconds=1");
            noSuchLink = await http.GetAsync($"api/host/captures/{inode}/nosuch0.pcapng?seconds=1");
            tooShort = await http.GetAsync($"api/host/captures/{inode}/vmbr0.pcapng?seconds=0");
            // The panes' download: what live captures hold, so one no page opened is not found.
            panesNotACapture = await http.GetAsync("api/host/captures.pcapng?panes=host/vmbr0");
            panesNotOpen = await http.GetAsync($"api/host/captures.pcapng?panes={inode}/vmbr0");
            // What changes with traffic, read on demand, and the why: reads both, nothing else.
            details = await http.GetAsync($"api/host/namespaces/{inode}/details?link=vmbr0");
            detailsNoSuchLink = await http.GetAsync($"api/host/namespaces/{inode}/details?link=nosuch0");
            detailsNotANumber = await http.GetAsync("api/host/namespaces/abc/details");
            why = await http.GetAsync($"api/host/why?pane={inode}/vmbr0&source=10.99.1.2&destination=10.99.1.1");
            whyNotAnAddress = await http.GetAsync($"api/host/why?pane={inode}/vmbr0&source=10.99.1.2&destination=nowhere");
        }
        var tshark = await Cli.Wrap("tshark").WithArguments(["-r", file, "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Directory.Delete(runtime, recursive: true);
        var after = await SnapshotAsync();

        Assert.True(capture.IsSuccessStatusCode, await capture.Content.ReadAsStringAsync());
        Assert.Equal(0, promiscuity);
        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        Assert.Equal(3, tshark.StandardOutput.Split('\n').Count(l => l == "10.99.1.2\t10.99.1.1\t8"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, notANumber.StatusCode);
        Assert.Contains("\"namespace\"", await notANumber.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, notReached.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, noSuchLink.StatusCode);
        Assert.Contains("there is no interface nosuch0", await noSuchLink.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("\"seconds\"", await tooShort.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, panesNotACapture.StatusCode);
        Assert.Contains("\"panes\"", await panesNotACapture.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, panesNotOpen.StatusCode);
        Assert.Contains("open it on the page first", await panesNotOpen.Content.ReadAsStringAsync());
        using (var read = JsonDocument.Parse(await details.Content.ReadAsStringAsync()))
        {
            Assert.Equal("vmbr0", read.RootElement.GetProperty("bridge").GetString());
            Assert.Contains(read.RootElement.GetProperty("macTable").EnumerateArray(), line => line.GetString()!.Contains("dev ct0", StringComparison.Ordinal));
            Assert.Contains(read.RootElement.GetProperty("neighbours").EnumerateArray(), line => line.GetString()!.StartsWith("10.99.1.2 dev vmbr0 lladdr", StringComparison.Ordinal));
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, detailsNoSuchLink.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, detailsNotANumber.StatusCode);
        Assert.True(why.IsSuccessStatusCode, await why.Content.ReadAsStringAsync());
        Assert.Contains($"It is for {_host} itself (10.99.1.1 is its own address)", await why.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, whyNotAnAddress.StatusCode);
        Assert.Contains("\"destination\"", await whyNotAnAddress.Content.ReadAsStringAsync());
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

    private Task<string> SnapshotAsync() => _standIn.SnapshotAsync();

    public async Task DisposeAsync()
    {
        if (_standIn is not null) await _standIn.DisposeAsync();
    }
}

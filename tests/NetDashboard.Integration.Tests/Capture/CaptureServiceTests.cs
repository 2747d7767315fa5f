using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;
using PacketDotNet;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests.Capture;

/// <summary>Captures on a real nat-pc lab (no VMs): the PC pings the internet server through br0 and NAT on ens160.</summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class CaptureServiceTests(ITestOutputHelper output)
{
    internal static CaptureService NewService(CaptureOptions? options = null) =>
        new(Options.Create(options ?? new CaptureOptions()), NullLogger<CaptureService>.Instance);

    internal static Task<BufferedCommandResult> PingAsync(TestLab lab, int count = 3) =>
        lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "1", "203.0.113.5");

    /// <summary>Polls the capture's rows until one matches, for at most <paramref name="timeout"/>; returns it or null.</summary>
    internal static async Task<PacketRow?> FirstRowAsync(LiveCapture capture, long from, Func<PacketRow, bool> match, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var batch = capture.Rows.Read(from, 10_000);
            if (batch.Items.FirstOrDefault(match) is { } row)
                return row;
            await Task.Delay(20);
        }
        return null;
    }

    private static async Task WaitForStateAsync(LiveCapture capture, CaptureState state, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (capture.Stats.State != state && watch.Elapsed < timeout)
            await Task.Delay(20);
        Assert.True(capture.Stats.State == state, $"the capture is {capture.Stats.State} ({capture.Stats.Message}), not {state}, after {timeout}");
    }

    private static Task IpAsync(TestLab lab, params string[] argv) =>
        Cli.Wrap("ip").WithArguments(["-n", lab.Namespaces.Host, .. argv]).ExecuteAsync();

    [Fact]
    public async Task Capture_PcPingsThroughNat_BridgeShowsPcAndUplinkShowsNatAddressWithin1s()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var bridge = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0"));
        await using var uplink = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "ens160", "icmp"));
        Assert.Equal(CaptureState.Running, bridge.Capture.Stats.State);
        Assert.Equal(CaptureState.Running, uplink.Capture.Stats.State);

        var ping = PingAsync(lab);
        var sent = Stopwatch.StartNew();
        var onBridge = await FirstRowAsync(bridge.Capture, 0, r => r.Info.StartsWith("IP 192.168.1.3 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), TimeSpan.FromSeconds(1));
        var onUplink = await FirstRowAsync(uplink.Capture, 0, r => r.Info.StartsWith("IP 10.180.13.232 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), TimeSpan.FromSeconds(1));
        sent.Stop();
        var result = await ping;

        Assert.True(result.ExitCode == 0, $"ping failed: {result.StandardOutput}{result.StandardError}");
        Assert.True(onBridge is not null, "no echo request from 192.168.1.3 on br0 within 1 s: " + string.Join(" | ", bridge.Capture.Rows.Read(0, 50).Items.Select(r => r.Info)));
        Assert.True(onUplink is not null, "no echo request from 10.180.13.232 on ens160 within 1 s: " + string.Join(" | ", uplink.Capture.Rows.Read(0, 50).Items.Select(r => r.Info)));
        Assert.Equal("ICMP", onBridge.Protocol);
        Assert.Matches(@"^IP 192\.168\.1\.3 > 203\.0\.113\.5: ICMP echo request, id \d+, seq 1, length 64$", onBridge.Info);
        Assert.Equal(98, onBridge.Length);
        Assert.Equal(0, bridge.Capture.Stats.KernelDrops + bridge.Capture.Stats.RingDrops);
        // The uplink's filter keeps only ICMP.
        Assert.All(uplink.Capture.Rows.Read(0, 10_000).Items, r => Assert.Equal("ICMP", r.Protocol));
    }

    [Fact]
    public async Task Capture_RunningWhilePacketsFlow_NoThreadOfTheProcessIsInTheLabsNamespace()
    {
        await using var lab = new TestLab("thr");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var bridge = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0"));
        await using var uplink = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "ens160"));
        var ping = await PingAsync(lab);
        Assert.True(ping.ExitCode == 0, $"ping failed: {ping.StandardOutput}{ping.StandardError}");
        Assert.NotNull(await FirstRowAsync(uplink.Capture, 0, r => r.Protocol == "ICMP", TimeSpan.FromSeconds(2)));

        // Only a capture's opener enters a namespace, briefly (tests beside this one open captures too); a thread
        // left there would pin the lab's namespace after it is deleted and make its sockets and processes in it.
        var elsewhere = SocketNamespaces.ThreadsOutside(Environment.ProcessId, name => name.StartsWith("open ", StringComparison.Ordinal)).ToList();
        Assert.True(elsewhere.Count == 0, $"threads outside {SocketNamespaces.Own}: {string.Join("; ", elsewhere)}");
    }

    [Fact]
    public async Task Capture_CorrelateOff_RowsCarryNoLinksAndNoConntrackIsFollowed()
    {
        await using var lab = new TestLab("nocor");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService(new CaptureOptions { Correlate = false });
        await using var bridge = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0", "icmp"));
        await using var uplink = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "ens160", "icmp"));
        var ping = await PingAsync(lab, count: 2);
        Assert.True(ping.ExitCode == 0, $"ping failed: {ping.StandardOutput}{ping.StandardError}");

        var request = await FirstRowAsync(uplink.Capture, 0, r => r.Info.StartsWith("IP 10.180.13.232 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), TimeSpan.FromSeconds(2));
        Assert.NotNull(request);
        Assert.NotNull(await FirstRowAsync(bridge.Capture, 0, r => r.Protocol == "ICMP", TimeSpan.FromSeconds(2)));
        Assert.All(bridge.Capture.Rows.Read(0, 10_000).Items.Concat(uplink.Capture.Rows.Read(0, 10_000).Items), row => Assert.Equal((0L, 0L), (row.Group, row.Flow)));
        Assert.Null(service.ConntrackOf(lab.Name));
        Assert.Equal(0, service.SeenOn(lab.Name, request.Group));
        // No correlator for the lab at all: with one, its first packet would be group 1.
        Assert.Null(service.Journey(lab.Name, 1));
    }

    [Fact]
    public async Task Acquire_FilterDoesNotCompile_RefusedWithCompilerMessageAndNothingOpened()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();

        var refused = await Assert.ThrowsAsync<CaptureException>(() =>
            service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0", "icmp and port")));

        Assert.Contains("syntax error", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, service.HandlesOpened);
        Assert.Empty(service.Captures);
    }

    [Fact]
    public async Task Acquire_TwoLeasesOfOneKey_ShareOneHandleClosedAfterLastRelease()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        var key = CaptureKey.For(lab.Name, NamespaceRole.Host, "br0");

        var first = await service.AcquireAsync(key);
        var second = await service.AcquireAsync(key);
        Assert.Same(first.Capture, second.Capture);
        Assert.Equal(1, service.OpenHandles);
        Assert.Equal(1, service.HandlesOpened);

        await first.DisposeAsync();
        Assert.Equal(1, service.OpenHandles);
        Assert.Equal(CaptureState.Running, second.Capture.Stats.State);

        await second.DisposeAsync();
        Assert.Equal(0, service.OpenHandles);
        Assert.Equal(CaptureState.Closed, second.Capture.Stats.State);
        Assert.Empty(service.Captures);
    }

    [Fact]
    public async Task DisposeAsync_CapturesStillLeased_EveryHandleClosedAndCapturesClosed()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        var service = NewService();
        var bridge = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0"));
        var peer = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Pc, "eth0"));
        Assert.Equal(2, service.OpenHandles);

        await service.DisposeAsync();

        Assert.Equal(0, service.OpenHandles);
        Assert.Equal(CaptureState.Closed, bridge.Capture.Stats.State);
        Assert.Equal(CaptureState.Closed, peer.Capture.Stats.State);
        await bridge.DisposeAsync(); // a lease released after the service is harmless
        await Assert.ThrowsAsync<ObjectDisposedException>(() => service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0")));
    }

    [Fact]
    public async Task Acquire_InterfaceNotThereYet_InterfaceGoneThenRunningWhenItIsUp()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var lease = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "tap9"));
        Assert.Equal(CaptureState.InterfaceGone, lease.Capture.Stats.State);
        Assert.Equal($"there is no interface tap9 in {lab.Namespaces.Host}", lease.Capture.Stats.Message);

        // Created down, as QEMU creates its tap: still gone for a capture until it is up.
        await IpAsync(lab, "tuntap", "add", "dev", "tap9", "mode", "tap");
        // Seen at the next retry (every 500 ms), however busy the machine is.
        await Poll.UntilAsync(() => lease.Capture.Stats.Message == $"interface tap9 in {lab.Namespaces.Host} is down", TimeSpan.FromSeconds(5),
            $"the capture saying tap9 is down (it says {lease.Capture.Stats.State}: {lease.Capture.Stats.Message})");
        Assert.Equal(CaptureState.InterfaceGone, lease.Capture.Stats.State);

        await IpAsync(lab, "link", "set", "tap9", "up");
        await WaitForStateAsync(lease.Capture, CaptureState.Running, TimeSpan.FromSeconds(3));
        Assert.Equal(1, service.OpenHandles);
    }

    [Fact]
    public async Task Capture_TapDeletedAndRecreated_InterfaceGoneThenRunningWithNewRows()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await IpAsync(lab, "tuntap", "add", "dev", "tap7", "mode", "tap");
        await IpAsync(lab, "link", "set", "tap7", "master", "br0", "up");
        await using var service = NewService();
        await using var lease = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "tap7"));
        var capture = lease.Capture;
        Assert.Equal(CaptureState.Running, capture.Stats.State);

        await IpAsync(lab, "link", "del", "tap7");
        await WaitForStateAsync(capture, CaptureState.InterfaceGone, TimeSpan.FromSeconds(5));
        output.WriteLine($"gone: {capture.Stats.Message}");
        Assert.Contains("tap7", capture.Stats.Message, StringComparison.Ordinal);
        Assert.Equal(0, service.OpenHandles);

        await IpAsync(lab, "tuntap", "add", "dev", "tap7", "mode", "tap");
        await IpAsync(lab, "link", "set", "tap7", "master", "br0", "up");
        await WaitForStateAsync(capture, CaptureState.Running, TimeSpan.FromSeconds(5));
        Assert.Equal(2, service.HandlesOpened);

        // A frame arriving from "the VM": an ARP request; the host's reply goes back out of the tap.
        var from = capture.Rows.Next;
        using var holder = await TapHolder.AttachAsync(lab.Namespaces.Host, "tap7");
        holder.Send(ArpRequest(PhysicalAddress.Parse("52-54-00-00-00-77"), IPAddress.Parse("192.168.1.77"), IPAddress.Parse("192.168.1.1")));
        var request = await FirstRowAsync(capture, from, r => r.Info.Contains("who-has", StringComparison.Ordinal), TimeSpan.FromSeconds(3));
        var reply = await FirstRowAsync(capture, from, r => r.Info.StartsWith("ARP, Reply 192.168.1.1 is-at", StringComparison.Ordinal), TimeSpan.FromSeconds(3));

        var seen = string.Join(" | ", capture.Rows.Read(from, 50).Items.Select(r => r.Info));
        Assert.True(request is not null, "the frame sent into the re-created tap was not captured: " + seen);
        Assert.Equal("ARP, Request who-has 192.168.1.1 tell 192.168.1.77, length 28", request.Info);
        Assert.True(reply is not null, "the host's reply out of the re-created tap was not captured: " + seen);
    }

    [Fact]
    public async Task Capture_LabTornDownWhileOpenThenMadeAgain_LetsGoOfTheOldNamespaceThenCapturesTheNewLab()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var lease = await service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, "br0", "icmp"));
        var capture = lease.Capture;
        Assert.Equal(CaptureState.Running, capture.Stats.State);

        // The handle alone would keep the deleted namespace alive, br0 and all, and keep capturing from it.
        await lab.Engine.DownAsync(lab.Name);
        await WaitForStateAsync(capture, CaptureState.InterfaceGone, TimeSpan.FromSeconds(3));
        output.WriteLine($"gone: {capture.Stats.Message}");
        Assert.Equal(0, service.OpenHandles);

        await lab.UpAsync("nat-pc.yaml");
        await WaitForStateAsync(capture, CaptureState.Running, TimeSpan.FromSeconds(3));
        var from = capture.Rows.Next;
        var ping = await PingAsync(lab, count: 2);
        var request = await FirstRowAsync(capture, from, r => r.Info.StartsWith("IP 192.168.1.3 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), TimeSpan.FromSeconds(3));

        Assert.Equal(0, ping.ExitCode);
        Assert.True(request is not null, "the new lab's ping was not captured: " + string.Join(" | ", capture.Rows.Read(0, 50).Items.Select(r => r.Info)));
    }

    private static byte[] ArpRequest(PhysicalAddress mac, IPAddress sender, IPAddress target) =>
        new EthernetPacket(mac, PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"), EthernetType.Arp)
        {
            PayloadPacket = new ArpPacket(ArpOperation.Request, PhysicalAddress.Parse("00-00-00-00-00-00"), target, mac, sender),
        }.Bytes;

    [Fact]
    public async Task PcapNg_CapturedPing_ReadByTcpdumpAndTsharkWithInterfaceName()
    {
        await using var lab = new TestLab("cap");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        var key = CaptureKey.For(lab.Name, NamespaceRole.Host, "ens160", "icmp");
        var capturing = service.CaptureForAsync(key, TimeSpan.FromSeconds(2));
        await Task.Delay(300);
        var ping = await PingAsync(lab);
        var snapshot = await capturing;
        Assert.Equal(0, ping.ExitCode);
        Assert.Equal(0, service.OpenHandles);

        var file = Path.Combine(lab.RuntimeRoot, "ens160.pcapng");
        await using (var stream = File.Create(file))
            PcapNgWriter.Write(stream, [snapshot]);

        var tcpdump = await Cli.Wrap("tcpdump").WithArguments(["-n", "-r", file]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(tcpdump.ExitCode == 0, tcpdump.StandardError);
        Assert.Contains("IP 10.180.13.232 > 203.0.113.5: ICMP echo request", tcpdump.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(snapshot.Packets.Count, tcpdump.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var tshark = await Cli.Wrap("tshark")
            .WithArguments(["-r", file, "-T", "fields", "-e", "frame.interface_name", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        Assert.Contains("host/ens160\t10.180.13.232\t203.0.113.5\t8", tshark.StandardOutput, StringComparison.Ordinal);
    }
}

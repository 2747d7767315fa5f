using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Capture.Correlation;
using NetDashboard.Lab.Model;
using static NetDashboard.Integration.Tests.Capture.CaptureServiceTests;

namespace NetDashboard.Integration.Tests.Capture;

/// <summary>
/// Correlation on real captures of a nat-pc lab (no VMs): the PC (192.168.1.3) behind br0 and MASQUERADE on ens160,
/// the host's own traffic on ens160 beside it, and conntrack followed in the host namespace.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class CorrelationCaptureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static Task<CaptureLease> CaptureAsync(CaptureService service, TestLab lab, string iface, string filter = "") =>
        service.AcquireAsync(CaptureKey.For(lab.Name, NamespaceRole.Host, iface, filter));

    private static async Task<T> PollAsync<T>(Func<T?> probe, string what) where T : class
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Patience)
        {
            if (probe() is { } found)
                return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"{what}: not there after {Patience.TotalSeconds} s");
    }

    private static IReadOnlyList<PacketRow> Rows(CaptureLease lease) => lease.Capture.Rows.Read(0, 10_000).Items;

    [Fact]
    public async Task SeenOn_TwoCapturesOfEns160WithDifferentFilters_CountsInterfacesNotCaptures()
    {
        await using var lab = new TestLab("xn");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var bridge = await CaptureAsync(service, lab, "br0");
        await using var uplink = await CaptureAsync(service, lab, "ens160");
        // The pane on ens160 changed its filter: the first capture runs on for as long as its lease is held.
        await using var uplinkIcmp = await CaptureAsync(service, lab, "ens160", "icmp");

        var ping = await PingAsync(lab, count: 2);
        Assert.True(ping.ExitCode == 0, $"ping failed: {ping.StandardOutput}{ping.StandardError}");

        var request = await FirstRowAsync(uplinkIcmp.Capture, 0, r => r.Info.StartsWith("IP 10.180.13.232 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), Patience);
        Assert.NotNull(request);
        var unfiltered = await FirstRowAsync(uplink.Capture, 0, r => r.Info == request.Info, Patience);
        var inside = await FirstRowAsync(bridge.Capture, 0, r => Regex.IsMatch(r.Info, @"^IP 192\.168\.1\.3 > 203\.0\.113\.5: ICMP echo request, id \d+, seq 1,"), Patience);
        Assert.NotNull(unfiltered);
        Assert.NotNull(inside);
        Assert.Equal(request.Group, unfiltered.Group);
        Assert.Equal(request.Group, inside.Group);
        Assert.Equal(2, service.SeenOn(lab.Name, request.Group));
        Assert.Equal(["host/br0", "host/ens160"], service.Journey(lab.Name, request.Group)!.Hops.Select(h => h.Interface.ToString()));
    }

    [Fact]
    public async Task Holds_PcsPingChosenWhileTheHostPingsToo_MarksExactlyThePcsRowsNotTheHostsPingOrArp()
    {
        await using var lab = new TestLab("mark");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var bridge = await CaptureAsync(service, lab, "br0");
        await using var uplink = await CaptureAsync(service, lab, "ens160");
        // The host forgets its next hop, so ens160 shows ARP before the pings.
        await lab.ExecAsync(NamespaceRole.Host, "ip", "neigh", "flush", "dev", "ens160");

        var pings = await Task.WhenAll(
            PingAsync(lab),
            lab.ExecAsync(NamespaceRole.Host, "ping", "-c", "3", "-i", "0.2", "-W", "1", "203.0.113.5"));
        Assert.All(pings, p => Assert.True(p.ExitCode == 0, $"ping failed: {p.StandardOutput}{p.StandardError}"));

        var follower = await PollAsync(() => service.ConntrackOf(lab.Name), "the lab's conntrack follower");
        var entry = await PollAsync(
            () => follower.Entries.FirstOrDefault(e => e.Protocol == "icmp" && e.Original.Source.Equals(IPAddress.Parse("192.168.1.3"))),
            "the PC's conntrack entry");
        var natId = entry.Reply.Icmp!.Value.Id;
        await PollAsync(() => Rows(uplink).Count(r => r.Protocol == "ICMP") >= 12 && Rows(bridge).Count(r => r.Protocol == "ICMP") >= 6 ? "" : null,
            "both pings' requests and replies on ens160 and the PC's on br0");

        // What is the PC's, told by the reference: its address on br0, the id NAT gave it (conntrack's reply tuple) on ens160.
        var pcsIdOutside = new Regex($@"^IP (10\.180\.13\.232 > 203\.0\.113\.5|203\.0\.113\.5 > 10\.180\.13\.232): ICMP echo (request|reply), id {natId}, ");
        var rows = Rows(bridge).Select(r => (Pane: "br0", Row: r, Pcs: r.Protocol == "ICMP" && r.Info.Contains("192.168.1.3", StringComparison.Ordinal)))
            .Concat(Rows(uplink).Select(r => (Pane: "ens160", Row: r, Pcs: pcsIdOutside.IsMatch(r.Info))))
            .ToList();

        Assert.Equal(12, rows.Count(r => r.Pcs));
        Assert.True(rows.Count(r => r is { Pane: "ens160", Pcs: false, Row.Protocol: "ICMP" }) >= 6, "the host's own ping is not on ens160");
        Assert.Contains(rows, r => r is { Pane: "ens160", Row.Protocol: "ARP" });
        Assert.All(rows, r => Assert.True(follower.Holds(entry, r.Row.Flow) == r.Pcs,
            $"{r.Pane}: {r.Row.Info} is {(r.Pcs ? "" : "not ")}the PC's but {(r.Pcs ? "not " : "")}marked"));
        Assert.Equal([new FlowPackets(3, 3)], follower.PacketsOf([entry]).ToArray());
    }

    [Fact]
    public async Task Journey_UdpToAClosedPortThroughNat_PortUnreachableJoinsItsFlowAndShowsTheQuoteRewrittenAsTsharkReadsIt()
    {
        await using var lab = new TestLab("unr");
        await lab.UpAsync("nat-pc.yaml");
        await using var service = NewService();
        await using var bridge = await CaptureAsync(service, lab, "br0");
        await using var uplink = await CaptureAsync(service, lab, "ens160");

        // Nothing listens on the server's port 9: its kernel answers port unreachable, and NAT turns it back to the PC.
        var sent = await lab.ExecAsync(NamespaceRole.Pc, "bash", "-c", "echo netdash > /dev/udp/203.0.113.5/9");
        Assert.True(sent.ExitCode == 0, sent.StandardError);
        var datagram = await FirstRowAsync(bridge.Capture, 0, r => r is { Protocol: "UDP", Source: "192.168.1.3" }, Patience);
        // tcpdump's words for it: "ICMP 203.0.113.5 udp port 9 unreachable".
        var errorInside = await FirstRowAsync(bridge.Capture, 0, r => r.Info.Contains("udp port 9 unreachable", StringComparison.Ordinal), Patience);
        var errorOutside = await FirstRowAsync(uplink.Capture, 0, r => r.Info.Contains("udp port 9 unreachable", StringComparison.Ordinal), Patience);
        Assert.NotNull(datagram);
        Assert.NotNull(errorInside);
        Assert.NotNull(errorOutside);
        var follower = await PollAsync(() => service.ConntrackOf(lab.Name), "the lab's conntrack follower");
        var entry = await PollAsync(() => follower.Entries.FirstOrDefault(e => e.Protocol == "udp" && e.Original.DestinationPort == 9), "the datagram's conntrack entry");

        Assert.Equal(errorOutside.Group, errorInside.Group);
        Assert.All(new[] { datagram, errorInside, errorOutside }, r => Assert.True(follower.Holds(entry, r.Flow), $"{r.Info} is not marked"));
        var journey = service.Journey(lab.Name, errorInside.Group)!;
        Assert.Equal(["host/ens160", "host/br0"], journey.Hops.Select(h => h.Interface.ToString()));
        Assert.Contains("quoted source 10.180.13.232 → 192.168.1.3", journey.Hops[1].Changes.Select(c => c.Describe()));
        Assert.Contains(errorInside.Group, service.Journey(lab.Name, datagram.Group)!.ReplyGroupIds);

        // The reference: tshark reads the quoted packet's source on each interface, and the comment that says NAT rewrote it.
        var file = Path.Combine(lab.RuntimeRoot, "unreachable.pcapng");
        await using (var stream = File.Create(file))
            PcapNgWriter.Write(stream, [bridge.Capture.Snapshot(), uplink.Capture.Snapshot()]);
        var tshark = await Cli.Wrap("tshark")
            .WithArguments(["-r", file, "-Y", "icmp.type == 3", "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name", "-e", "ip.src", "-e", "frame.comment"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        var lines = tshark.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("host/ens160|203.0.113.5,10.180.13.232|", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("host/br0|203.0.113.5,192.168.1.3|", lines[1], StringComparison.Ordinal);
        Assert.Contains("quoted source rewritten 10.180.13.232 → 192.168.1.3", lines[1], StringComparison.Ordinal);
    }
}

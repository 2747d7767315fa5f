using NetDashboard.Lab.Services;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// How a trace reads its captures into hops: the probe and its reply through seed-nat's NAT, stamped as the kernel
/// stamps them — a bridge and its port in the same microsecond.
/// </summary>
public sealed class TraceFollowTests
{
    private const long T0 = 1_700_000_000_000_000;
    private static readonly byte[] Data = [.. BitConverter.GetBytes(T0), .. new byte[48]];
    private static readonly byte[] RequestInside = Echo(IcmpV4TypeCode.EchoRequest, 7, 1, Guest, Server, new Framing(Vm1, Bridge, 64, 0x4001), Data);
    private static readonly byte[] RequestOutside = Echo(IcmpV4TypeCode.EchoRequest, 7, 1, Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x4001), Data);
    private static readonly byte[] ReplyOutside = Echo(IcmpV4TypeCode.EchoReply, 7, 1, Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x9001), Data);
    private static readonly byte[] ReplyInside = Echo(IcmpV4TypeCode.EchoReply, 7, 1, Server, Guest, new Framing(Bridge, Vm1, 63, 0x9001), Data);

    private static readonly TracePlan Plan = new(new TraceSource("vm1", "tap0"), Server,
    [
        new(NamespaceRole.Host, "tap0", true), new(NamespaceRole.Host, "br0", true),
        new(NamespaceRole.Host, "ens160", true), new(NamespaceRole.Wan, "eth0", true),
    ], "br0", "ens160");

    private static (TraceStation, CaptureSnapshot) Station(int index, params (long Micros, byte[] Frame)[] packets) =>
        (Plan.Stations[index], new CaptureSnapshot(Plan.Stations[index].Name.ToString(), 1, 262144,
            [.. packets.Select((p, row) => new StoredPacket(row, p.Micros, p.Frame.Length, p.Frame))]));

    [Fact]
    public void Follow_BridgeAndPortStampTheSameMicrosecond_EachRewriteOnTheHopWhereItHappenedBothWays()
    {
        // Each capture's packets in its own order; tap0 and br0 share a microsecond going out and coming back.
        var snapshots = new[]
        {
            Station(0, (T0, RequestInside), (T0 + 330, ReplyInside)),
            Station(1, (T0, RequestInside), (T0 + 330, ReplyInside)),
            Station(2, (T0 + 40, RequestOutside), (T0 + 300, ReplyOutside)),
            Station(3, (T0 + 41, RequestOutside), (T0 + 300, ReplyOutside)),
        };

        var (request, reply) = TraceService.Follow(Plan, snapshots, Server);

        Assert.All(request.Concat(reply), hop => Assert.True(hop.Seen, hop.Station.ToString()));
        Assert.Empty(request[1].Changes);
        Assert.Contains(new TraceChange(InterfaceRef.Host("ens160"), HeaderField.Source, "192.168.1.10", "10.180.13.232"), request[2].Changes);
        Assert.Equal(["wan/eth0", "host/ens160", "host/br0", "host/tap0"], reply.Select(h => h.Station.ToString()));
        Assert.Contains(new TraceChange(InterfaceRef.Host("br0"), HeaderField.Destination, "10.180.13.232", "192.168.1.10"), reply[2].Changes);
        Assert.Empty(reply[3].Changes);
    }
}

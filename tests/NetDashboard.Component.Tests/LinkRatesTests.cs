using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Component.Tests;

/// <summary>Packets per second on the graph's edges from two readings of the interface counters.</summary>
public sealed class LinkRatesTests
{
    private static readonly GraphModel Graph = new([],
    [
        new GraphEdge("vmtap:vm1", "vm:vm1", "link:host:tap0", "vm"),
        new GraphEdge("member:host:tap0", "link:host:tap0", "link:host:br0", "member"),
        new GraphEdge("cable:ens160", "link:host:ens160", "link:wan:eth0", "cable"),
        new GraphEdge("route:br0", "link:host:br0", "router", "route"),
    ]);

    [Fact]
    public void Next_FirstReading_NoRateYet() =>
        Assert.Empty(new LinkRates().Next(new Dictionary<InterfaceRef, long> { [InterfaceRef.Parse("host/tap0")] = 10 }, DateTime.UnixEpoch, Graph));

    [Fact]
    public void Next_TwoReadingsTwoSecondsApart_EachEdgeShowsTheRateOfTheInterfaceItStartsFromOrEndsAtAfterAVm()
    {
        var rates = new LinkRates();
        rates.Next(new Dictionary<InterfaceRef, long> { [InterfaceRef.Parse("host/tap0")] = 10, [InterfaceRef.Parse("host/br0")] = 100, [InterfaceRef.Parse("host/ens160")] = 7 }, DateTime.UnixEpoch, Graph);

        var labels = rates.Next(new Dictionary<InterfaceRef, long> { [InterfaceRef.Parse("host/tap0")] = 30, [InterfaceRef.Parse("host/br0")] = 100, [InterfaceRef.Parse("host/ens160")] = 47 },
            DateTime.UnixEpoch.AddSeconds(2), Graph);

        Assert.Equal(new Dictionary<string, string>
        {
            ["vmtap:vm1"] = "10 pkt/s", ["member:host:tap0"] = "10 pkt/s", ["cable:ens160"] = "20 pkt/s", ["route:br0"] = "0 pkt/s",
        }, labels);
    }

    [Fact]
    public void Next_CounterWentBackwards_InterfaceRecreated_NoRateRatherThanANegativeOne()
    {
        var rates = new LinkRates();
        rates.Next(new Dictionary<InterfaceRef, long> { [InterfaceRef.Parse("host/tap0")] = 500 }, DateTime.UnixEpoch, Graph);

        var labels = rates.Next(new Dictionary<InterfaceRef, long> { [InterfaceRef.Parse("host/tap0")] = 3 }, DateTime.UnixEpoch.AddSeconds(1), Graph);

        Assert.Empty(labels);
    }
}

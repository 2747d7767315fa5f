using NetDashboard.Lab.Capture;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketStoreTests
{
    private static byte[] Bytes(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    [Fact]
    public void Add_MoreThanMaxPackets_OldestForgotten()
    {
        var store = new PacketStore(maxPackets: 3, maxBytes: 1000);
        for (var i = 0; i < 5; i++) store.Add(Bytes(10, (byte)i), i, 10);

        Assert.Equal(2, store.Oldest);
        Assert.Null(store.Get(1));
        Assert.Equal(Bytes(10, 4), store.Get(4)!.Data);
    }

    [Fact]
    public void Add_MoreThanMaxBytes_OldestForgottenAndNewestIntact()
    {
        var store = new PacketStore(maxPackets: 100, maxBytes: 100);
        for (var i = 0; i < 12; i++) store.Add(Bytes(30, (byte)i), i, 60);

        var held = store.From(0);
        Assert.InRange(held.Count, 2, 3);
        Assert.Equal(11, held[^1].Sequence);
        Assert.All(held, p => Assert.Equal(Bytes(30, (byte)p.Sequence), p.Data));
        Assert.All(held, p => Assert.Equal(60, p.Length));
    }

    [Fact]
    public void From_OutOfOrderTimestamps_OrderedByKernelTime()
    {
        var store = new PacketStore(10, 1000);
        store.Add([1], 300, 1);
        store.Add([2], 100, 1);
        store.Add([3], 200, 1);

        Assert.Equal([100L, 200L, 300L], store.From(0).Select(p => p.TimestampMicros));
        Assert.Equal([1L, 2L, 0L], store.From(0).Select(p => p.Sequence));
    }

    [Fact]
    public void Add_ManyWraps_EveryHeldPacketKeepsItsBytes()
    {
        var store = new PacketStore(maxPackets: 50, maxBytes: 997);
        var random = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            store.Add(Bytes(random.Next(0, 120), (byte)i), i, 0);
            foreach (var p in store.From(store.Oldest))
                Assert.All(p.Data, b => Assert.Equal((byte)p.Sequence, b));
        }
    }
}

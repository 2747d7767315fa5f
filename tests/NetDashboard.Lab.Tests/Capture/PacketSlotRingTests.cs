using NetDashboard.Lab.Capture;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketSlotRingTests
{
    [Fact]
    public void Write_RingFull_CountsDropsAndKeepsTheFirst()
    {
        using var ring = new PacketSlotRing(slots: 4, slotSize: 8);
        for (var i = 0; i < 6; i++) ring.Write([(byte)i], i, 1);

        var seen = new List<long>();
        var drained = ring.Drain(batch => seen.AddRange(Enumerable.Range(0, batch.Count).Select(i => batch[i].TimestampMicros)), 100);

        Assert.Equal(4, drained);
        Assert.Equal([0L, 1L, 2L, 3L], seen);
        Assert.Equal(2, ring.Drops);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Drain_WhileTheBatchIsHandled_ItsSlotsStayTakenAndAreFreedAfter()
    {
        using var ring = new PacketSlotRing(slots: 2, slotSize: 8);
        ring.Write([1], 1, 1);
        ring.Write([2], 2, 1);

        var during = new List<byte>();
        ring.Drain(batch =>
        {
            ring.Write([3], 3, 1); // the ring is still full: this one is dropped, the batch's bytes stay
            during.AddRange([batch[0].Bytes[0], batch[1].Bytes[0]]);
        }, 2);
        ring.Write([4], 4, 1);

        var after = new List<long>();
        ring.Drain(batch => after.Add(batch[0].TimestampMicros), 10);
        Assert.Equal([1, 2], during);
        Assert.Equal(1, ring.Drops);
        Assert.Equal([4L], after);
    }

    [Fact]
    public void Drain_HandlerThrows_TheBatchIsFreedAndNotHandedOverAgain()
    {
        using var ring = new PacketSlotRing(slots: 4, slotSize: 8);
        ring.Write([1], 1, 1);
        ring.Write([2], 2, 1);

        Assert.Throws<InvalidOperationException>(() => ring.Drain(_ => throw new InvalidOperationException("a bug"), 10));
        ring.Write([3], 3, 1);
        var after = new List<long>();
        ring.Drain(batch => after.AddRange(Enumerable.Range(0, batch.Count).Select(i => batch[i].TimestampMicros)), 10);

        Assert.Equal([3L], after);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Write_LongerThanSlot_CutToSlotKeepsWireLength()
    {
        using var ring = new PacketSlotRing(2, 4);
        ring.Write([1, 2, 3, 4, 5, 6], 9, 1500);

        byte[]? copy = null;
        var wire = 0;
        ring.Drain(batch => { copy = batch[0].Bytes.ToArray(); wire = batch[0].WireLength; }, 1);

        Assert.Equal([1, 2, 3, 4], copy);
        Assert.Equal(1500, wire);
    }

    [Fact]
    public async Task Wait_ProducerOnAnotherThread_EveryPacketArrivesInOrderOrIsCountedDropped()
    {
        using var ring = new PacketSlotRing(64, 8);
        const int count = 200_000;
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                ring.Write(BitConverter.GetBytes(i), i, 4);
                if (i % 1000 == 0) Thread.Yield();
            }
        });
        long received = 0, last = -1;
        var outOfOrder = false;
        var consumer = Task.Run(async () =>
        {
            while (received + ring.Drops < count)
            {
                var drained = ring.Drain(batch =>
                {
                    for (var i = 0; i < batch.Count; i++)
                    {
                        outOfOrder |= batch[i].TimestampMicros <= last;
                        last = batch[i].TimestampMicros;
                        received++;
                    }
                }, 1000);
                if (drained == 0)
                    await ring.WaitAsync(TimeSpan.FromMilliseconds(5));
            }
        });
        await Task.WhenAll(producer, consumer).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(outOfOrder);
        Assert.Equal(count, received + ring.Drops);
        Assert.True(received > 0);
    }
}

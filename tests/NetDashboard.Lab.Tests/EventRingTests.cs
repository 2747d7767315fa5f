using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Events;

namespace NetDashboard.Lab.Tests;

public sealed class EventRingTests
{
    [Fact]
    public void Read_FromOldest_ReturnsItemsInOrder()
    {
        var ring = new EventRing<int>(4);
        for (var i = 0; i < 3; i++) ring.Append(i);
        var batch = ring.Read(ring.Oldest, 10);
        Assert.Equal([0, 1, 2], batch.Items);
        Assert.Equal(0, batch.Missed);
        Assert.Equal(3, batch.Next);
    }

    [Fact]
    public void Read_AfterOverflow_CountsForgottenItemsAsMissed()
    {
        var ring = new EventRing<int>(4);
        for (var i = 0; i < 10; i++) ring.Append(i);
        var batch = ring.Read(0, 10);
        Assert.Equal([6, 7, 8, 9], batch.Items);
        Assert.Equal(6, batch.Missed);
    }

    [Fact]
    public void Read_NewestFirstFarBehind_SkipsToTheNewest()
    {
        var ring = new EventRing<int>(100);
        for (var i = 0; i < 50; i++) ring.Append(i);
        var batch = ring.Read(0, 5, newestFirst: true);
        Assert.Equal([45, 46, 47, 48, 49], batch.Items);
        Assert.Equal(45, batch.Missed);
        var inOrder = ring.Read(0, 5);
        Assert.Equal([0, 1, 2, 3, 4], inOrder.Items);
        Assert.Equal(0, inOrder.Missed);
    }

    [Fact]
    public async Task WaitAsync_NothingNew_CompletesOnAppend()
    {
        var ring = new EventRing<string>(2);
        var wait = ring.WaitAsync(ring.Next, CancellationToken.None);
        Assert.False(wait.IsCompleted);
        ring.Append("x");
        await wait.WaitAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ReadBatchesAsync_SteadyStream_DeliversEveryItemAtMostTenBatchesASecond()
    {
        var ring = new EventRing<int>(10_000);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < 5000; i++)
            {
                ring.Append(i);
                if (i % 100 == 99) await Task.Delay(10);
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var batches = 0;
        var seen = new List<int>();
        await foreach (var batch in ring.ReadBatchesAsync(0, 10_000, TimeSpan.FromMilliseconds(100), false, stop.Token))
        {
            batches++;
            seen.AddRange(batch.Items);
            if (seen.Count == 5000) break;
        }
        await producer;
        Assert.Equal(Enumerable.Range(0, 5000), seen);
        // The first batch comes at once, each later one at least 100 ms after the one before.
        Assert.InRange(batches, 1, (int)(clock.ElapsedMilliseconds / 100) + 1);
    }
}

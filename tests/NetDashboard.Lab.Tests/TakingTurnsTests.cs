using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class TakingTurnsTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Take_ThreeCallersOfOneKey_RunOneAtATimeInTheOrderTheyCame()
    {
        var turns = new TakingTurns<string>(maxWaiting: 4);
        var running = 0;
        var most = 0;
        var order = new List<int>();
        async Task Work(int id)
        {
            using var turn = await turns.TakeAsync("lab", Long, "traces of lab", CancellationToken.None);
            most = Math.Max(most, Interlocked.Increment(ref running));
            lock (order) order.Add(id);
            await Task.Delay(30);
            Interlocked.Decrement(ref running);
        }
        var first = Work(1);
        var second = Work(2);
        var third = Work(3);
        await Task.WhenAll(first, second, third);

        Assert.Equal(1, most);
        Assert.Equal([1, 2, 3], order);
        Assert.Equal(0, turns.CallersOf("lab"));
    }

    [Fact]
    public async Task Take_LineFull_RefusedAtOnceNamingWhatTakesTurns()
    {
        var turns = new TakingTurns<string>(maxWaiting: 2);
        using var holder = await turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None);
        var waiting = new[]
        {
            turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None),
            turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None),
        };

        var refused = await Assert.ThrowsAsync<LabLimitException>(() => turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None));

        Assert.Equal("guest commands to vm1 run one at a time and 2 already wait their turn; try again when one has finished", refused.Message);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(3, turns.CallersOf("vm1"));
        holder.Dispose();
        (await waiting[0]).Dispose();
        (await waiting[1]).Dispose();
        Assert.Equal(0, turns.CallersOf("vm1"));
    }

    [Fact]
    public async Task Take_TurnDoesNotComeInTime_RefusedAndLeavesTheLine()
    {
        var turns = new TakingTurns<string>(maxWaiting: 4);
        using var holder = await turns.TakeAsync("lab", Long, "traces of lab x", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<LabLimitException>(() => turns.TakeAsync("lab", TimeSpan.FromMilliseconds(200), "traces of lab x", CancellationToken.None));

        Assert.Contains("did not come within 0.2 s", refused.Message);
        Assert.Equal(1, turns.CallersOf("lab"));
    }

    [Fact]
    public async Task Take_CallerGoesAway_LeavesTheLineAndTheNextGetsTheTurn()
    {
        var turns = new TakingTurns<string>(maxWaiting: 4);
        var holder = await turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None);
        using var gone = new CancellationTokenSource();
        var leaving = turns.TakeAsync("vm1", Long, "guest commands to vm1", gone.Token);
        var next = turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None);

        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(2, turns.CallersOf("vm1"));
        holder.Dispose();
        using var turn = await next.WaitAsync(Long);

        Assert.Equal(1, turns.CallersOf("vm1"));
    }

    [Fact]
    public async Task Take_TwoKeys_DoNotWaitForEachOther()
    {
        var turns = new TakingTurns<string>(maxWaiting: 0);
        using var one = await turns.TakeAsync("vm1", Long, "guest commands to vm1", CancellationToken.None);
        using var other = await turns.TakeAsync("vm2", TimeSpan.FromMilliseconds(100), "guest commands to vm2", CancellationToken.None);

        Assert.Equal(1, turns.CallersOf("vm2"));
    }

    [Fact]
    public async Task Dispose_Twice_GivesTheTurnOnce()
    {
        var turns = new TakingTurns<string>(maxWaiting: 4);
        var turn = await turns.TakeAsync("lab", Long, "traces of lab", CancellationToken.None);
        var second = turns.TakeAsync("lab", Long, "traces of lab", CancellationToken.None);
        var third = turns.TakeAsync("lab", Long, "traces of lab", CancellationToken.None);

        turn.Dispose();
        turn.Dispose();
        await second.WaitAsync(Long);

        await Task.Delay(50);
        Assert.False(third.IsCompleted);
        (await second).Dispose();
        (await third.WaitAsync(Long)).Dispose();
    }
}

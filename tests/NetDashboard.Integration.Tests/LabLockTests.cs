using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Diagnostics;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Changes that wait for a lab's lock hold no thread while they wait: fifty of them behind a lock held by another
/// process wait together, and each is answered "lab busy" (409) when the wait is over.
/// </summary>
// Alone: the thread pool is the whole test process's, and neighbours would grow it too.
[Collection(TimedCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class LabLockTests(ITestOutputHelper output)
{
    private const int Waiting = 50;

    [Fact]
    public async Task TearDown_50WhileAnotherProcessHoldsTheLock_PoolGrowsByFarFewerThan50AndEachIsLabBusy()
    {
        await using var lab = new TestLab("lk");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Name: lab.Name));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        // A store of its own on the same folder stands for the other process (the CLI): they share the lock file only.
        using var held = await new LabRuntimeStore(lab.RuntimeRoot).LockAsync(lab.Name);

        var before = ThreadPool.ThreadCount;
        var max = before;
        using var done = new ManualResetEventSlim();
        // On a thread of its own: a starved pool would be sampled late, after it had grown.
        var sampler = new Thread(() =>
        {
            do max = Math.Max(max, ThreadPool.ThreadCount);
            while (!done.Wait(10));
        }) { IsBackground = true };
        sampler.Start();
        var waited = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, Waiting).Select(_ => Task.Run(() => lab.Service.TearDownAsync(lab.Name))));
        waited.Stop();
        done.Set();
        sampler.Join();
        output.WriteLine($"{Waiting} teardowns waited {waited.Elapsed.TotalSeconds:0.0} s; thread pool: {before} threads before, at most {max} while they waited");

        Assert.All(results, teardown =>
        {
            Assert.Equal(ActionOutcome.Conflict, teardown.Result.Outcome);
            Assert.StartsWith($"lab {lab.Name} is busy", teardown.Result.Message);
        });
        Assert.True(max - before < Waiting / 2,
            $"the thread pool grew from {before} to {max} threads while {Waiting} teardowns waited for the lab's lock");
        // Together, not one after another: one wait of the lock's timeout, and a little more for 50 answers.
        Assert.InRange(waited.Elapsed, lab.Store.LockTimeout, lab.Store.LockTimeout + TimeSpan.FromSeconds(5));
        Assert.NotNull(lab.Store.Read(lab.Name));
    }
}

using System.Diagnostics;

namespace NetDashboard.Tests.Shared;

/// <summary>How long each attempt at a refusal took; the best one is judged.</summary>
public sealed record Timings(IReadOnlyList<TimeSpan> Attempts)
{
    public TimeSpan Best => Attempts.Min();

    public override string ToString() => string.Join(", then ", Attempts.Select(a => $"{a.TotalMilliseconds:0.0} ms"));
}

/// <summary>Times refusals against the corpus's budget of 100 ms.</summary>
public static class RefusalClock
{
    /// <summary>The time a refusal may take.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(100);

    /// <summary>A busy moment of the shared machine (another build, a GC) lasts about this long.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs a refusal and times it; one over <see cref="Budget"/> is timed again after a pause, at most twice, so a
    /// moment the shared machine was busy is told apart from a refusal that is slow each time.
    /// </summary>
    public static async Task<(T Result, Timings Elapsed)> TimeAsync<T>(Func<Task<T>> refuse)
    {
        var attempts = new List<TimeSpan>();
        while (true)
        {
            var clock = Stopwatch.StartNew();
            var result = await refuse();
            attempts.Add(clock.Elapsed);
            if (attempts.Min() < Budget || attempts.Count == 3)
                return (result, new Timings(attempts));
            await Task.Delay(Pause);
        }
    }
}

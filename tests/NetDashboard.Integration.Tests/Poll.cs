namespace NetDashboard.Integration.Tests;

/// <summary>Waits for something that comes true by itself (a capture opens, a row arrives, a process exits) by asking again.</summary>
public static class Poll
{
    /// <summary>Returns once <paramref name="probe"/> is true; throws naming <paramref name="what"/> when it is not within <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0.#} s");
            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<bool> probe, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(probe()), timeout, what);
}

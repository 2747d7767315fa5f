namespace NetDashboard.Lab.Host;

/// <summary>
/// The forceful token of CliWrap's ExecuteAsync(forceful, graceful) for a long-running reader (ip monitor,
/// xtables-monitor): the graceful token sends SIGINT, and this one kills <c>after</c> that. A process started with
/// SIGINT ignored (a script's background job, nohup, a CI runner) passes that on to what it starts, which then never
/// ends on SIGINT alone, and whoever waits for it waits for ever.
/// </summary>
public sealed class KillAfterInterrupt : IDisposable
{
    private readonly CancellationTokenSource _kill = new();
    private readonly CancellationTokenRegistration _escalate;

    public KillAfterInterrupt(CancellationToken interrupt, TimeSpan after) =>
        _escalate = interrupt.Register(() => _kill.CancelAfter(after));

    public CancellationToken Token => _kill.Token;

    public void Dispose()
    {
        // First the registration (waits for a callback under way), so CancelAfter never meets a disposed source.
        _escalate.Dispose();
        _kill.Dispose();
    }
}

using NetDashboard.Lab.Services;
using NetDashboard.Lab.Model;

namespace NetDashboard.Services;

/// <summary>
/// Keeps every lab's runtime folder bounded while the dashboard runs, page open or not: twice a second each VM's
/// serial.log (which QEMU grows by itself) is rotated at 1 MiB, and serial output is dropped when a folder is over its
/// cap. What was dropped is logged, the same words at most once a minute per lab, not at every look.
/// </summary>
public sealed partial class LabFolderUpkeep(LabService labs, ILogger<LabFolderUpkeep> logger) : BackgroundService
{
    // Under TCG a guest's console prints about 250 KB/s: a log passes 1 MiB by at most a tenth of that between looks.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan SayAgainAfter = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, (string Words, DateTime At)> _said = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                Look();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Look()
    {
        try
        {
            foreach (var (lab, dropped) in labs.KeepFoldersBounded())
            {
                var said = string.Join(" ", dropped);
                if (said.Length == 0
                    || (_said.TryGetValue(lab, out var last) && last.Words == said && DateTime.UtcNow - last.At < SayAgainAfter)) continue;
                _said[lab] = (said, DateTime.UtcNow);
                LogDropped(lab, said);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabException)
        {
            // A lab removed while it was looked at, a folder that is not readable: the next look tries again.
            LogLookFailed(e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: {Sentences}")]
    private partial void LogDropped(string lab, string sentences);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Keeping the lab folders bounded failed this time: {Reason}")]
    private partial void LogLookFailed(string reason);
}

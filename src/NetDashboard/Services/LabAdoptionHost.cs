using NetDashboard.Lab.Services;

namespace NetDashboard.Services;

/// <summary>Runs the <see cref="LabAdoption"/> of the labs found at start, and logs VM crashes while the dashboard serves.</summary>
public sealed class LabAdoptionHost(LabAdoption adoption) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var crashes = adoption.LogCrashes();
        await adoption.AdoptAllAsync(stoppingToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // The dashboard stops: so does the crash log.
        }
    }
}

using Microsoft.Extensions.Options;
using NetDashboard.Configuration;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Services;

/// <summary>Brings up the lab file named by NetDashboard:StartupLab when the dashboard starts, without holding up the web server.</summary>
public sealed partial class StartupLab(LabEngine engine, IOptions<DashboardOptions> options, ILogger<StartupLab> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var file = options.Value.StartupLab;
        if (string.IsNullOrWhiteSpace(file)) return;
        var path = Path.GetFullPath(file, RepositoryLayout.FindRoot());
        try
        {
            var definition = LabFileLoader.LoadFile(path);
            LogApplying(definition.Name, path);
            var result = await engine.ApplyAsync(definition, await File.ReadAllTextAsync(path, stoppingToken), path,
                new Progress<JournalEntry>(entry => LogStep(entry.TutorialLine, entry.CommandLine)), stoppingToken);
            LogReady(definition.Name, result.Ran.Count);
        }
        catch (Exception e) when (e is LabFileException or HostCommandException)
        {
            LogFailed(path, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bringing up lab {Lab} from {File}")]
    private partial void LogApplying(string lab, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Tutorial}  ←  {Command}")]
    private partial void LogStep(string tutorial, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lab {Lab} is up ({Count} commands)")]
    private partial void LogReady(string lab, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The startup lab {File} could not be brought up: {Reason}")]
    private partial void LogFailed(string file, string reason);
}

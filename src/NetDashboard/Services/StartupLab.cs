using NetDashboard.Lab.Services;
using Microsoft.Extensions.Options;
using NetDashboard.Configuration;
using NetDashboard.Lab.Model;

namespace NetDashboard.Services;

/// <summary>How the startup lab fared, for the home page: null until one is configured.</summary>
public sealed class StartupLabState
{
    private volatile Report? _current;

    /// <param name="File">The lab file brought up.</param>
    /// <param name="Lab">The lab's name once known.</param>
    /// <param name="Failure">Why it did not come up (null while it comes up or once it is up).</param>
    public sealed record Report(string File, string? Lab, bool Done, string? Failure);

    public Report? Current => _current;

    internal void Set(Report report) => _current = report;
}

/// <summary>
/// Brings up the lab file named by NetDashboard:StartupLab when the dashboard starts, without holding up the web
/// server. Whatever goes wrong is logged and shown on the home page; the dashboard keeps serving.
/// </summary>
public sealed partial class StartupLab(LabService labs, StartupLabState state, IOptions<DashboardOptions> options, ILogger<StartupLab> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var file = options.Value.StartupLab;
        if (string.IsNullOrWhiteSpace(file)) return;
        var path = Path.GetFullPath(file, RepositoryLayout.FindRoot());
        state.Set(new(path, null, false, null));
        try
        {
            LogApplying(path);
            var creation = await labs.CreateLabAsync(new CreateLabRequest(Yaml: await File.ReadAllTextAsync(path, stoppingToken), SourcePath: path),
                new Progress<JournalEntry>(entry => LogStep(Printable.Escape(entry.TutorialLine), Printable.Escape(entry.CommandLine))), stoppingToken);
            var lab = creation.Applied?.Lab;
            if (creation.Result.Succeeded)
            {
                LogReady(lab ?? path, creation.Applied?.Ran.Count ?? 0);
                state.Set(new(path, lab, true, null));
            }
            else
            {
                LogFailed(path, creation.Result.Message);
                state.Set(new(path, lab, true, creation.Result.Message));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // A background service that throws stops the whole host: any failure here is the lab's, not the dashboard's.
        catch (Exception e)
        {
            LogFailed(path, e.Message);
            state.Set(new(path, null, true, e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bringing up the startup lab from {File}")]
    private partial void LogApplying(string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Tutorial}  ←  {Command}")]
    private partial void LogStep(string tutorial, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lab {Lab} is up ({Count} commands)")]
    private partial void LogReady(string lab, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The startup lab {File} could not be brought up: {Reason}")]
    private partial void LogFailed(string file, string reason);
}

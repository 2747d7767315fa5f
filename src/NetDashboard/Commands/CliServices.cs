using NetDashboard.Lab.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Configuration;
using NetDashboard.Security;

namespace NetDashboard.Commands;

/// <summary>
/// What the CLI's commands use: the lab services of the one composition root (<see cref="LabComposition"/>) with the
/// settings <c>ServiceRegistration.AddLabServices</c> reads (appsettings.json, then NetDashboard__* environment
/// variables). A one-shot command starts no host and no DI container, whose start-up it would pay on every run
/// (bench/README.md).
/// </summary>
public sealed class CliServices
{
    public required LabService Labs { get; init; }
    /// <summary>Observe mode: this host's networks, read-only.</summary>
    public required HostObservation Observation { get; init; }
    public required DashboardOptions Options { get; init; }
    public required AccessToken Token { get; init; }
    public required SessionStore Sessions { get; init; }

    /// <summary>The URLs the dashboard listens on, for the login link.</summary>
    public string? Urls { get; init; }

    /// <summary>The services, or the settings' problems when they are invalid.</summary>
    public static (CliServices? Services, IReadOnlyList<string> Problems) Create(string root)
    {
        // A stream, not AddJsonFile: the file provider behind that is one more thing to load and start.
        var builder = new ConfigurationBuilder();
        var appSettings = Path.Combine(root, "appsettings.json");
        if (File.Exists(appSettings))
            builder.AddJsonStream(new MemoryStream(File.ReadAllBytes(appSettings)));
        var configuration = builder.AddEnvironmentVariables().Build();
        var options = configuration.GetSection(DashboardOptions.Section).Get<DashboardOptions>() ?? new DashboardOptions();
        if (new DashboardOptionsValidator().Validate(null, options) is { Failed: true } invalid)
            return (null, invalid.Failures.ToList());

        var token = new AccessToken(options.StateFolder);
        var composition = LabComposition.Build(LabWiring.LabSettingsFrom(options));
        return (new CliServices
        {
            Labs = composition.Door,
            Observation = composition.Observation,
            Options = options,
            Token = token,
            Sessions = SessionStore.For(options, token),
            Urls = configuration["urls"],
        }, []);
    }
}

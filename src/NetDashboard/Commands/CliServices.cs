using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Configuration;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;
using NetDashboard.Security;

namespace NetDashboard.Commands;

/// <summary>
/// What the CLI's commands use: the classes <c>ServiceRegistration.AddLabServices</c> registers, with the same
/// settings (appsettings.json, then NetDashboard__* environment variables), wired by hand. A one-shot command starts
/// no host and no DI container, whose start-up it would pay on every run (bench/README.md).
/// </summary>
public sealed class CliServices
{
    public required LabService Labs { get; init; }
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

        var runner = new HostRunner();
        var reader = new TopologyReader(runner);
        var store = new LabRuntimeStore(options.RuntimeRoot);
        var operations = new OperationRunner(runner, store, LabWiring.LabFolderQuotaFrom(options));
        var vms = LabWiring.VmSupervisorFrom(options, operations, store);
        var labOptions = LabWiring.LabServiceOptionsFrom(options);
        var engine = new LabEngine(operations, reader, store, vms, labOptions);
        var events = new LabEvents(reader, store, vms, operations, NullLoggerFactory.Instance);
        // No CLI command captures: the capture limits keep their defaults.
        var captures = new CaptureService(Microsoft.Extensions.Options.Options.Create(new CaptureOptions()), NullLogger<CaptureService>.Instance);
        var token = new AccessToken(options.StateFolder);
        return (new CliServices
        {
            Labs = new LabService(engine, store, vms, reader, events, captures, labOptions),
            Options = options,
            Token = token,
            Sessions = SessionStore.For(options, token),
            Urls = configuration["urls"],
        }, []);
    }
}

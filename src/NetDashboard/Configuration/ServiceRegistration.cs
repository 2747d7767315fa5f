using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;
using NetDashboard.Security;

namespace NetDashboard.Configuration;

public static class ServiceRegistration
{
    /// <summary>The lab services shared by the UI, the HTTP API and the CLI.</summary>
    public static IServiceCollection AddLabServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DashboardOptions>()
            .Bind(configuration.GetSection(DashboardOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddLogging();
        services.AddOptions<CaptureOptions>()
            .Bind(configuration.GetSection($"{DashboardOptions.Section}:{CaptureOptions.Section}"))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>());
        services.TryAddSingleton<CaptureService>();
        services.TryAddSingleton(sp => LabServiceOptionsFrom(sp.GetRequiredService<IOptions<DashboardOptions>>().Value));
        services.TryAddSingleton<HostRunner>();
        services.TryAddSingleton<TopologyReader>();
        services.TryAddSingleton<ITopologySource>(sp => sp.GetRequiredService<TopologyReader>());
        services.TryAddSingleton(sp => new LabRuntimeStore(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.RuntimeRoot));
        services.TryAddSingleton(sp => new GuestImage(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.GuestImageFolder));
        services.TryAddSingleton<OperationRunner>();
        services.TryAddSingleton(sp => new VmSupervisor(sp.GetRequiredService<OperationRunner>(), sp.GetRequiredService<LabRuntimeStore>(),
            sp.GetRequiredService<GuestImage>(), new DiskImages(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.ImageFolders),
            sp.GetRequiredService<IOptions<DashboardOptions>>().Value.Accelerator));
        services.TryAddSingleton<LabEngine>();
        services.TryAddSingleton<LabEvents>();
        services.TryAddSingleton<LabService>();
        services.TryAddSingleton(sp => new AccessToken(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.StateFolder));
        return services;
    }

    private static LabServiceOptions LabServiceOptionsFrom(DashboardOptions options) => new()
    {
        LabsFolder = Path.GetFullPath(options.LabsFolder, RepositoryLayout.FindRoot()),
        GuestCommandTimeout = TimeSpan.FromSeconds(options.GuestCommandTimeoutSeconds),
        ReadyTimeout = TimeSpan.FromSeconds(options.GuestReadyTimeoutSeconds),
    };
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Security;

namespace NetDashboard.Configuration;

public static class ServiceRegistration
{
    /// <summary>The lab services shared by the UI, the HTTP API and the CLI.</summary>
    public static IServiceCollection AddLabServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DashboardOptions>()
            .Bind(configuration.GetSection(DashboardOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>());
        services.AddLogging();
        services.AddOptions<CaptureOptions>()
            .Bind(configuration.GetSection($"{DashboardOptions.Section}:{CaptureOptions.Section}"))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>());
        services.TryAddSingleton<CaptureService>();
        services.TryAddSingleton(sp => LabWiring.LabServiceOptionsFrom(sp.GetRequiredService<IOptions<DashboardOptions>>().Value));
        services.TryAddSingleton<HostRunner>();
        services.TryAddSingleton<TopologyReader>();
        services.TryAddSingleton<ITopologySource>(sp => sp.GetRequiredService<TopologyReader>());
        services.TryAddSingleton(sp => new LabRuntimeStore(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.RuntimeRoot));
        services.TryAddSingleton(sp => LabWiring.LabFolderQuotaFrom(sp.GetRequiredService<IOptions<DashboardOptions>>().Value));
        services.TryAddSingleton(sp => new OperationRunner(sp.GetRequiredService<HostRunner>(), sp.GetRequiredService<LabRuntimeStore>(),
            sp.GetRequiredService<LabFolderQuota>()));
        services.TryAddSingleton(sp => LabWiring.VmSupervisorFrom(sp.GetRequiredService<IOptions<DashboardOptions>>().Value,
            sp.GetRequiredService<OperationRunner>(), sp.GetRequiredService<LabRuntimeStore>()));
        services.TryAddSingleton<LabEngine>();
        services.TryAddSingleton<LabEvents>();
        services.TryAddSingleton<LabService>();
        services.TryAddSingleton(sp => new AccessToken(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.StateFolder));
        services.TryAddSingleton(sp => SessionStore.For(sp.GetRequiredService<IOptions<DashboardOptions>>().Value, sp.GetRequiredService<AccessToken>()));
        return services;
    }
}

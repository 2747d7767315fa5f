using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

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
        services.TryAddSingleton<HostRunner>();
        services.TryAddSingleton<TopologyReader>();
        services.TryAddSingleton(sp => new LabRuntimeStore(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.RuntimeRoot));
        services.TryAddSingleton(sp => new GuestImage(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.GuestImageFolder));
        services.TryAddSingleton<OperationRunner>();
        services.TryAddSingleton(sp => new VmSupervisor(sp.GetRequiredService<OperationRunner>(), sp.GetRequiredService<LabRuntimeStore>(),
            sp.GetRequiredService<GuestImage>(), sp.GetRequiredService<IOptions<DashboardOptions>>().Value.Accelerator));
        services.TryAddSingleton<LabEngine>();
        services.TryAddSingleton<TopologyWatchers>();
        services.TryAddSingleton<NetDashboard.Services.LabActions>();
        return services;
    }
}

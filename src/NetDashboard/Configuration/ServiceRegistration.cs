using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
        // The lab services come from their one composition root; the container owns (and disposes) what it built.
        services.TryAddSingleton(sp => LabComposition.Build(
            LabWiring.LabSettingsFrom(sp.GetRequiredService<IOptions<DashboardOptions>>().Value, sp.GetRequiredService<IOptions<CaptureOptions>>().Value),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<LabComposition>().Door);
        services.TryAddSingleton(sp => sp.GetRequiredService<LabComposition>().Adoption);
        services.TryAddSingleton(sp => sp.GetRequiredService<LabComposition>().Observation);
        services.TryAddSingleton(sp => new AccessToken(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.StateFolder));
        services.TryAddSingleton(sp => SessionStore.For(sp.GetRequiredService<IOptions<DashboardOptions>>().Value, sp.GetRequiredService<AccessToken>()));
        return services;
    }
}

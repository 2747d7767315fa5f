using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;

namespace NetDashboard.Api;

/// <summary>Observe mode over HTTP: this host's networks, read-only (GET only: nothing here changes anything).</summary>
public static class HostApi
{
    public static IEndpointRouteBuilder MapHostApi(this IEndpointRouteBuilder app)
    {
        var host = app.MapGroup("/api/host").WithTags("This host (read-only)");
        host.MapGet("/topology", async (HostObservation observation, CancellationToken cancellationToken) =>
            {
                var (result, observed) = await observation.ObserveAsync(cancellationToken);
                return observed is not null ? Results.Text(ObservedText.Json(observed), "application/json") : ActionProblem.Of(result, "the host could not be observed");
            })
            .WithName("ObserveHost")
            .WithSummary("This host's networks, read and never changed: every namespace reachable from the observed one, its links (bridge, veth peer, the process behind a tap), routes of every table, rules, forwarding, and the stacks recognised (libvirt, Docker, Proxmox)")
            .Produces<ObservedHost>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}

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
        host.MapGet("/captures/{ns}/{ifname}.pcapng", async (string ns, string ifname, WholeNumber? seconds, string? filter, HostObservation observation,
                CancellationToken cancellationToken) =>
            {
                if (InodeOf(ns) is not { } inode) return NotAnInode(ns);
                var download = await observation.CaptureForAsync(inode, ifname, seconds?.Value ?? 5, filter, cancellationToken);
                if (!download.Result.Succeeded) return ActionProblem.Of(download.Result, "capture failed");
                using var buffer = new MemoryStream();
                HostObservation.WritePcapNg(buffer, download.Captures);
                return TypedResults.File(buffer.ToArray(), "application/x-pcapng", $"host-{ns}-{ifname}.pcapng");
            })
            .WithName("CaptureHostInterfaceToPcapNg")
            .WithSummary("Capture one interface of this host live for `seconds` (1–60, default 5) with an optional BPF `filter`, without promiscuous mode; the namespace by its inode; returns pcapng")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-pcapng")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        host.MapGet("/captures.pcapng", async (string? panes, HostObservation observation, CancellationToken cancellationToken) =>
            {
                var names = (panes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var download = await observation.RunningCapturesAsync(names, cancellationToken);
                if (!download.Result.Succeeded) return ActionProblem.Of(download.Result, "no such capture");
                using var buffer = new MemoryStream();
                HostObservation.WritePcapNg(buffer, download.Captures);
                return TypedResults.File(buffer.ToArray(), "application/x-pcapng", "host-captures.pcapng");
            })
            .WithName("RunningHostCapturesToPcapNg")
            .WithSummary("What the live captures of this host named in `panes` (4026532291/vnet0,4026532291/virbr0: a namespace's inode and an interface each) hold, as one pcapng with one interface each")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-pcapng")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        host.MapGet("/namespaces/{ns}/details", async (string ns, string? link, HostObservation observation, CancellationToken cancellationToken) =>
            {
                if (InodeOf(ns) is not { } inode) return NotAnInode(ns);
                var (result, details) = await observation.DetailsAsync(inode, link, cancellationToken);
                return details is not null ? TypedResults.Ok(details) : ActionProblem.Of(result, "not read");
            })
            .WithName("HostNamespaceDetails")
            .WithSummary("What changes with traffic in one namespace of this host, read now: its neighbours (ip neigh), the connections conntrack tracks (conntrack -L) and, with `link` naming a bridge, its MAC table (bridge fdb); at most 200 lines each")
            .Produces<HostDetails>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        host.MapGet("/why", async (string? pane, long? group, string? source, string? destination, HostObservation observation,
                CancellationToken cancellationToken) =>
            {
                var (result, why) = await observation.WhyAsync(pane, group ?? 0, source, destination, cancellationToken);
                return why is not null ? TypedResults.Ok(why) : ActionProblem.Of(result, "no answer");
            })
            .WithName("WhyOnThisHost")
            .WithSummary("Why a packet seen on this host went where it went, sending nothing: the `pane` it was seen in (INODE/IFACE), its `group` (a row's, to follow it across the open captures), its `source` and `destination`; answered from where it was last seen and the kernel's `ip route get` there")
            .Produces<HostWhy>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    // A namespace is named by its inode in every address of this API, as GET /api/host/topology shows it.
    private static ulong? InodeOf(string ns) =>
        ulong.TryParse(ns, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var inode) ? inode : null;

    private static IResult NotAnInode(string ns) =>
        ActionProblem.Of(ActionResult.Refused("namespace", $"'{Printable.Quote(ns)}' is not a namespace's inode (a number, as GET /api/host/topology shows it)"), "bad namespace");
}

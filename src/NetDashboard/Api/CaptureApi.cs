using NetDashboard.Lab.Services;
using NetDashboard.Lab.Model;

namespace NetDashboard.Api;

/// <summary>
/// Captures over HTTP: a live capture of N seconds as pcapng, the running captures the panes hold as one pcapng,
/// and the newest rows of a running capture as JSON. A translation of <see cref="LabService"/>'s results.
/// </summary>
public static class CaptureApi
{
    private const string PcapNg = "application/x-pcapng";

    public static IEndpointRouteBuilder MapCaptureApi(this IEndpointRouteBuilder app)
    {
        var captures = app.MapGroup("/api/labs/{lab}").WithTags("Captures");

        captures.MapGet("/captures/{ns}/{ifname}.pcapng", async (string lab, string ns, string ifname, WholeNumber? seconds, string? filter,
                LabService service, CancellationToken cancellationToken) =>
            {
                var download = await service.CaptureForAsync(lab, ns, ifname, seconds?.Value ?? 5, filter, cancellationToken);
                return download.Result.Succeeded ? File(download.Captures, $"{lab}-{ns}-{ifname}.pcapng") : ActionProblem.Of(download.Result, "capture failed");
            })
            .WithName("CaptureToPcapNg").WithSummary("Capture one interface live for `seconds` (1–60, default 5) with an optional BPF `filter`; returns pcapng")
            .Produces(StatusCodes.Status200OK, contentType: PcapNg)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        captures.MapGet("/captures.pcapng", (string lab, string? panes, LabService service) =>
            {
                var names = (panes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var download = service.RunningCaptures(lab, names);
                return download.Result.Succeeded ? File(download.Captures, $"{lab}-captures.pcapng") : ActionProblem.Of(download.Result, "no such capture");
            })
            .WithName("RunningCapturesToPcapNg").WithSummary("What the running captures named in `panes` (host/tap0,host/br0) hold, as one pcapng with one interface each")
            .Produces(StatusCodes.Status200OK, contentType: PcapNg)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        captures.MapGet("/trace.pcapng", (string lab, LabService service) =>
            {
                if (ActionResult.ForBadLabName(lab) is { } bad) return ActionProblem.Of(bad, "no such lab");
                if (service.LastTracePcapNg(lab) is not { } trace)
                    return ActionProblem.Of(ActionResult.NotFound($"lab {lab} has no trace yet: POST /api/labs/{lab}/trace first"), "no trace");
                using var buffer = new MemoryStream();
                trace.Write(buffer);
                return TypedResults.File(buffer.ToArray(), PcapNg, $"{lab}-trace-{trace.Report.From}-{trace.Report.To}.pcapng");
            })
            .WithName("LastTraceToPcapNg")
            .WithSummary("The lab's last trace as pcapng: one interface per station, and on the packet where the probe was last seen a comment with the verdict and the kernel's words")
            .Produces(StatusCodes.Status200OK, contentType: PcapNg)
            .ProducesProblem(StatusCodes.Status404NotFound);

        captures.MapGet("/captures", (string lab, LabService service) =>
                service.RunningCapturesOf(lab) is { } running ? TypedResults.Ok(running) : ActionProblem.Of(LabService.CheckLabName(lab)!, "bad lab name"))
            .WithName("ListCaptures").WithSummary("The captures running now in a lab: one per interface and filter, shared by all its viewers")
            .Produces<IReadOnlyList<RunningCapture>>()
            .ProducesValidationProblem();

        captures.MapGet("/captures/{ns}/{ifname}/packets", (string lab, string ns, string ifname, WholeNumber? limit, LabService service) =>
            {
                var (result, rows) = service.NewestRows(lab, ns, ifname, limit?.Value ?? 100);
                return result.Succeeded ? TypedResults.Ok(rows) : ActionProblem.Of(result, "no such capture");
            })
            .WithName("GetCapturedPackets").WithSummary("The newest rows (at most `limit`, default 100) of a running capture, tcpdump-style")
            .Produces<IReadOnlyList<PacketRow>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    private static IResult File(IReadOnlyList<CaptureSnapshot> captures, string name)
    {
        using var buffer = new MemoryStream();
        LabService.WritePcapNg(buffer, captures);
        return TypedResults.File(buffer.ToArray(), PcapNg, name);
    }
}

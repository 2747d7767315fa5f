using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;

namespace NetDashboard.Api;

/// <summary>What creating, applying or removing a lab ran, in order.</summary>
public sealed record LabChange(string Lab, IReadOnlyList<JournalEntry> Ran, IReadOnlyList<string> Pending);

/// <summary>An action that ran: the tutorial line (e.g. "(host)$ brctl addbr br1") or what became of a VM.</summary>
public sealed record ActionDone(string Lab, string Message);

/// <summary>The body of POST /api/labs/{lab}/vms/{vm}/exec.</summary>
/// <param name="Command">One line, run by the guest's shell.</param>
/// <param name="TimeoutSeconds">1 to 3600; by default the dashboard's configured guest-command timeout.</param>
public sealed record ExecRequest(string? Command, int? TimeoutSeconds = null);

/// <summary>A trace's question: from a VM's name, "pc" or "host", to an IPv4 address, by icmp (default), tcp:PORT or udp:53.</summary>
public sealed record TraceRequest(string? From, string? To, string? Protocol = null);

/// <summary>A guest command's output and exit code; <see cref="OutputTruncated"/> when only the first 1 MiB of output was kept.</summary>
public sealed record ExecResult(string Lab, string Vm, string Command, int ExitCode, string Output, double DurationMs, bool OutputTruncated);

/// <summary>
/// The HTTP API under /api: a translation of <see cref="LabService"/>'s results into HTTP, no logic of its own.
/// Refused input is a 400 validation problem naming each field; an unknown lab or VM is 404; a command that ran
/// and failed is a 422 problem whose detail holds the tool's stderr.
/// </summary>
public static class LabApi
{
    public static IEndpointRouteBuilder MapLabApi(this IEndpointRouteBuilder app)
    {
        var labs = app.MapGroup("/api/labs").WithTags("Labs");

        labs.MapGet("/", async (LabService service, CancellationToken cancellationToken) => TypedResults.Ok(await service.ListLabsAsync(cancellationToken)))
            .WithName("ListLabs").WithSummary("The labs that exist, owned by this app or only namespaces left behind");

        labs.MapPost("/", CreateLabAsync)
            .WithName("CreateLab").WithSummary("Create a lab from a shipped lab file or lab file text, or complete an existing one made from the same file (another file for an existing name: 409)")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapDelete("/{lab}", DeleteLabAsync)
            .WithName("DeleteLab").WithSummary("Remove every namespace, process and runtime file of a lab")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapGet("/{lab}/topology", async (string lab, LabService service, CancellationToken cancellationToken) =>
                LabService.CheckLabName(lab) is { } bad ? ActionProblem.Of(bad, "bad lab name")
                : await service.StatusAsync(lab, cancellationToken) is { } status
                    ? (IResult)TypedResults.Json(status, LabStatus.JsonOptions)
                    : ActionProblem.Of(ActionResult.NoSuchLab(lab), "no such lab"))
            .WithName("GetTopology").WithSummary("What the kernel holds for a lab, and its VMs (the JSON of `lab status --json`)")
            .Produces<LabStatus>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapPost("/{lab}/operations", async (string lab, OperationRequest request, LabService service) =>
                Outcome(lab, await service.RunAsync(lab, request), $"{request.Kind} failed"))
            .WithName("RunOperation").WithSummary("Run one change (createBridge, addMasquerade, …) in a lab's namespace; it is journaled")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapGet("/{lab}/journal", (string lab, int? skip, int? take, LabService service) =>
                service.JournalPageOf(lab, skip ?? 0, take ?? LabService.DefaultJournalPage) is var (result, page) && page is not null
                    ? (IResult)TypedResults.Ok(page)
                    : ActionProblem.Of(result, "no journal page"))
            .WithName("GetJournal")
            .WithSummary($"The commands run for a lab, exactly as run, beside their tutorial form: a page, newest first (skip, take: 0 to {LabService.MaxJournalPage}, by default {LabService.DefaultJournalPage}), and the total")
            .Produces<JournalPage>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapGet("/{lab}/journal/outputs/{file}", (string lab, string file, LabService service) =>
                service.JournalOutputOf(lab, $"{JournalEntry.OutputsFolder}/{file}") is var (result, output) && output is not null
                    ? (IResult)TypedResults.Text(output, "text/plain; charset=utf-8")
                    : ActionProblem.Of(result, "no such output"))
            .WithName("GetJournalOutput").WithSummary("The whole output (up to 1 MiB) of a journal entry whose output was longer than the journal keeps (its outputFile)")
            .Produces<string>(contentType: "text/plain")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapGet("/{lab}/journal/script", (string lab, LabService service) =>
                LabService.CheckLabName(lab) is { } bad ? ActionProblem.Of(bad, "bad lab name")
                : service.JournalScriptOf(lab) is { } script
                    ? (IResult)TypedResults.File(System.Text.Encoding.UTF8.GetBytes(script), "text/x-shellscript", $"{lab}.sh")
                    : ActionProblem.Of(ActionResult.NoSuchLab(lab), "no such lab"))
            .WithName("ExportJournalScript").WithSummary("The journal as a bash script that rebuilds the lab")
            .Produces<string>(contentType: "text/x-shellscript")
            .ProducesProblem(StatusCodes.Status404NotFound);

        foreach (var (verb, summary) in new[]
                 {
                     (VmVerb.Start, "Start a VM (QEMU creates its tap), then apply the lab file's ports and guest settings"),
                     (VmVerb.Stop, "Stop a VM: QMP quit, then kill"),
                     (VmVerb.Restart, "Stop and start a VM, then apply the lab file's ports and guest settings"),
                 })
        {
            var name = verb.ToString();
            labs.MapPost($"/{{lab}}/vms/{{vm}}/{name.ToLowerInvariant()}", async (string lab, string vm, LabService service) =>
                    Outcome(lab, await service.VmAsync(lab, vm, verb), $"{name.ToLowerInvariant()} {vm} failed"))
                .WithName($"{name}Vm").WithSummary(summary)
                .Produces<ActionDone>()
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        }

        labs.MapPost("/{lab}/vms", CreateVmAsync)
            .WithName("CreateVm")
            .WithSummary("Create a VM, start it, put its tap up in its bridge and configure its guest; a field left out takes the page's suggestion "
                + "(next vmN/tapN, the bridge of the other taps, the next free address and the other guests' gateway); bridge, address or gateway \"none\" asks for none")
            .Produces<ActionDone>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapGet("/{lab}/vms/suggestion", async (string lab, LabService service, CancellationToken cancellationToken) =>
                LabService.CheckLabName(lab) is { } bad ? ActionProblem.Of(bad, "bad lab name")
                : await service.SuggestVmAsync(lab, cancellationToken) is { } suggestion ? (IResult)TypedResults.Ok(suggestion)
                : ActionProblem.Of(ActionResult.NoSuchLab(lab), "no such lab"))
            .WithName("SuggestVm").WithSummary("What a new VM of the lab gets for each field left out")
            .Produces<NewVmRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/api/images", (LabService service) => TypedResults.Ok(service.DiskImages()))
            .WithTags("Labs").WithName("ListImages")
            .WithSummary("The disk images VMs may boot: regular files in the configured image folders (NetDashboard:ImageFolders)");

        labs.MapPost("/{lab}/vms/{vm}/exec", ExecAsync)
            .WithName("ExecInVm").WithSummary("Run one command line in a built-in guest; returns its output and exit code")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapPost("/{lab}/trace", TraceAsync)
            .WithName("Trace")
            .WithSummary("Send one probe and follow it across every interface of its way: hops seen and not, NAT's rewrites, the reply, and why it was lost")
            .Produces<TraceReport>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapPost("/{lab}/trace/fix", ApplyFixAsync)
            .WithName("ApplyTraceFix")
            .WithSummary("Run the fix a trace offered (its `fix` object as the body): each operation validated and journaled, then the guest's command; trace again to see it work")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        return app;
    }

    private static async Task<IResult> CreateLabAsync(CreateLabRequest request, LabService service)
    {
        // A lab file's path on the server is the CLI's business, not a web client's.
        request = request with { SourcePath = null };
        // Not the request's token: a client that gives up must not leave a half-built lab.
        var creation = await service.CreateLabAsync(request);
        if (creation.Applied is not { } applied)
            return ActionProblem.Of(creation.Result, "the lab could not be applied");
        var change = new LabChange(applied.Lab, applied.Ran, applied.Pending);
        return creation.Existed ? TypedResults.Ok(change) : TypedResults.Created($"/api/labs/{applied.Lab}/topology", change);
    }

    private static async Task<IResult> CreateVmAsync(string lab, NewVmRequest request, LabService service)
    {
        // Not the request's token: a client that gives up must not leave a VM half set up.
        var result = await service.CreateVmAsync(lab, request);
        return result.Succeeded
            ? TypedResults.Created($"/api/labs/{lab}/topology", new ActionDone(lab, result.Message))
            : ActionProblem.Of(result, "the VM could not be created");
    }

    private static async Task<IResult> DeleteLabAsync(string lab, LabService service)
    {
        var teardown = await service.TearDownAsync(lab);
        return teardown.Result.Succeeded
            ? TypedResults.Ok(new LabChange(lab, teardown.Ran, []))
            : ActionProblem.Of(teardown.Result, $"lab {lab} could not be removed");
    }

    private static async Task<IResult> ExecAsync(string lab, string vm, ExecRequest request, LabService service, CancellationToken cancellationToken)
    {
        var timeout = request.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var outcome = await service.ExecAsync(lab, vm, request.Command, timeout, cancellationToken);
        // A command that ran answers 200 whatever its exit code: the exit code is the guest's answer.
        return outcome.Guest is { } guest
            ? TypedResults.Ok(new ExecResult(lab, vm, request.Command!, guest.ExitCode, guest.Output, guest.Duration.TotalMilliseconds, guest.OutputTruncated))
            : ActionProblem.Of(outcome.Result, $"({vm})$ {request.Command} did not run");
    }

    private static async Task<IResult> TraceAsync(string lab, TraceRequest request, LabService service, CancellationToken cancellationToken)
    {
        var outcome = await service.TraceAsync(lab, request.From, request.To, request.Protocol, cancellationToken);
        // A probe that got no reply is still an answer: 200 with the verdict.
        return outcome.Report is { } report ? TypedResults.Ok(report) : ActionProblem.Of(outcome.Result, "the trace did not run");
    }

    private static async Task<IResult> ApplyFixAsync(string lab, TraceFix fix, LabService service, CancellationToken cancellationToken) =>
        Outcome(lab, await service.ApplyFixAsync(lab, fix, cancellationToken), "the fix did not run");

    private static IResult Outcome(string lab, ActionResult result, string failure) =>
        result.Succeeded ? TypedResults.Ok(new ActionDone(lab, result.Message)) : ActionProblem.Of(result, failure);
}

using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NetDashboard.Commands;
using NetDashboard.Configuration;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using NetDashboard.Services;

namespace NetDashboard.Api;

/// <summary>The body of POST /api/labs: a shipped lab file by its bare name, or the text of a lab file.</summary>
/// <param name="File">A file of the labs folder, e.g. "seed-nat.yaml" (a bare name: no '/', no "..").</param>
/// <param name="Yaml">The text of a lab file (instead of <paramref name="File"/>).</param>
/// <param name="Name">The lab's name; by default the name in the file.</param>
/// <param name="Wait">Return only when every VM is ready and configured.</param>
/// <summary>A lab that exists: owned (it has a runtime record) or only namespaces left behind.</summary>
public sealed record LabSummary(string Name, bool Owned);

/// <summary>What creating, applying or removing a lab ran, in order.</summary>
public sealed record LabChange(string Lab, IReadOnlyList<JournalEntry> Ran, IReadOnlyList<string> Pending);

/// <summary>An action that ran: the tutorial line (e.g. "(host)$ brctl addbr br1") or what became of a VM.</summary>
public sealed record ActionDone(string Lab, string Message);

/// <summary>The body of POST /api/labs/{lab}/vms/{vm}/exec.</summary>
/// <param name="Command">One line, run by the guest's shell.</param>
/// <param name="TimeoutSeconds">1 to 3600; 30 by default.</param>
public sealed record ExecRequest(string? Command, int? TimeoutSeconds = null);

/// <summary>A guest command's output and exit code.</summary>
public sealed record ExecResult(string Lab, string Vm, string Command, int ExitCode, string Output, double DurationMs);

/// <summary>
/// The HTTP API under /api: the same services as the dashboard and the CLI (<see cref="LabEngine"/>,
/// <see cref="LabActions"/>), no logic of its own. Refused input is a 400 validation problem naming each field;
/// a command that ran and failed is a 422 problem whose detail holds the tool's stderr.
/// </summary>
public static class LabApi
{
    private const int DefaultExecTimeoutSeconds = 30;

    public static IEndpointRouteBuilder MapLabApi(this IEndpointRouteBuilder app)
    {
        var labs = app.MapGroup("/api/labs").WithTags("Labs");

        labs.MapGet("/", ListLabsAsync)
            .WithName("ListLabs").WithSummary("The labs that exist, owned by this app or only namespaces left behind");

        labs.MapPost("/", CreateLabAsync)
            .WithName("CreateLab").WithSummary("Create a lab from a shipped lab file or lab file text, or bring an existing one to what the file wants")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapDelete("/{lab}", DeleteLabAsync)
            .WithName("DeleteLab").WithSummary("Remove every namespace, process and runtime file of a lab")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapGet("/{lab}/topology", TopologyAsync)
            .WithName("GetTopology").WithSummary("What the kernel holds for a lab, and its VMs (the JSON of `lab status --json`)")
            .Produces<LabStatus>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapPost("/{lab}/operations", RunOperationAsync)
            .WithName("RunOperation").WithSummary("Run one change (createBridge, addMasquerade, …) in a lab's namespace; it is journaled")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        labs.MapGet("/{lab}/journal", GetJournal)
            .WithName("GetJournal").WithSummary("Every command run for a lab, exactly as run, beside its tutorial form")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        labs.MapGet("/{lab}/journal/script", ExportJournalScript)
            .WithName("ExportJournalScript").WithSummary("The journal as a bash script that rebuilds the lab")
            .Produces<string>(contentType: "text/x-shellscript")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        foreach (var (verb, summary) in new[]
                 {
                     ("start", "Start a VM (QEMU creates its tap), then apply the lab file's ports and guest settings"),
                     ("stop", "Stop a VM: QMP quit, then kill"),
                     ("restart", "Stop and start a VM"),
                 })
        {
            labs.MapPost($"/{{lab}}/vms/{{vm}}/{verb}",
                    (string lab, string vm, LabEngine engine, LabActions actions) => VmLifecycleAsync(lab, vm, verb, engine, actions))
                .WithName($"{char.ToUpperInvariant(verb[0])}{verb[1..]}Vm").WithSummary(summary)
                .Produces<ActionDone>()
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        }

        labs.MapPost("/{lab}/vms/{vm}/exec", ExecAsync)
            .WithName("ExecInVm").WithSummary("Run one command line in a built-in guest; returns its output and exit code")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        return app;
    }

    private static async Task<Ok<List<LabSummary>>> ListLabsAsync(LabEngine engine, CancellationToken cancellationToken)
    {
        var owned = engine.Store.ListLabs();
        var labs = await engine.ListLabsAsync(cancellationToken);
        return TypedResults.Ok(labs.Select(lab => new LabSummary(lab, owned.Contains(lab))).ToList());
    }

    private static async Task<IResult> CreateLabAsync(CreateLabRequest request, LabActions actions)
    {
        // Not the request's token: a client that gives up must not leave a half-built lab.
        var creation = await actions.CreateLabAsync(request);
        if (creation.Applied is not { } applied)
            return creation.Result.Problems.Count > 0 ? Refused(creation.Result.Problems) : Failed("the lab could not be applied", creation.Result.Message);
        var change = new LabChange(applied.Lab, applied.Ran, applied.Pending);
        return creation.Existed ? TypedResults.Ok(change) : TypedResults.Created($"/api/labs/{applied.Lab}/topology", change);
    }

    private static async Task<IResult> DeleteLabAsync(string lab, LabEngine engine, TopologyWatchers watchers)
    {
        if (BadLabName(lab) is { } bad) return bad;
        var ran = new List<JournalEntry>();
        try
        {
            if (!await engine.DownAsync(lab, new Collect(ran)))
                return NoSuchLab(lab);
            return TypedResults.Ok(new LabChange(lab, ran, []));
        }
        catch (HostCommandException e)
        {
            return Failed($"lab {lab} could not be removed", e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    private static async Task<IResult> TopologyAsync(string lab, LabEngine engine, CancellationToken cancellationToken)
    {
        if (BadLabName(lab) is { } bad) return bad;
        var status = await LabStatus.ReadAsync(engine, lab, cancellationToken);
        return status is null ? NoSuchLab(lab) : TypedResults.Json(status, LabStatus.JsonOptions);
    }

    private static async Task<IResult> RunOperationAsync(string lab, OperationRequest request, LabEngine engine, LabActions actions)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (!await ExistsAsync(engine, lab)) return NoSuchLab(lab);
        var result = await actions.RunAsync(lab, request);
        return Outcome(lab, result, $"{request.Kind} failed");
    }

    private static IResult GetJournal(string lab, LabEngine engine)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (engine.Store.Read(lab) is null) return NoSuchLab(lab);
        return TypedResults.Ok(engine.Store.JournalOf(lab).ReadAll());
    }

    private static IResult ExportJournalScript(string lab, LabEngine engine)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (engine.Store.Read(lab) is null) return NoSuchLab(lab);
        var script = Journal.ExportScript(lab, engine.Store.JournalOf(lab).ReadAll());
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(script), "text/x-shellscript", $"{lab}.sh");
    }

    private static async Task<IResult> VmLifecycleAsync(string lab, string vm, string verb, LabEngine engine, LabActions actions)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (FindVm(engine, lab, vm, out _) is { } missing) return missing;
        var result = await actions.VmAsync(lab, vm, verb);
        return Outcome(lab, result, $"{verb} {vm} failed");
    }

    private static async Task<IResult> ExecAsync(string lab, string vm, ExecRequest request, LabEngine engine, TopologyWatchers watchers,
        CancellationToken cancellationToken)
    {
        if (BadLabName(lab) is { } bad) return bad;
        if (FindVm(engine, lab, vm, out var definition) is { } missing) return missing;
        var problems = new List<LabFileProblem>();
        if (InputRules.CheckGuestCommand(request.Command) is { } commandProblem)
            problems.Add(new("command", commandProblem));
        var timeout = request.TimeoutSeconds ?? DefaultExecTimeoutSeconds;
        if (timeout is < 1 or > 3600)
            problems.Add(new("timeoutSeconds", $"{timeout} is not between 1 and 3600"));
        if (problems.Count > 0) return Refused(problems);
        try
        {
            var result = await engine.Vms.ExecAsync(lab, definition!, request.Command!, TimeSpan.FromSeconds(timeout), cancellationToken);
            return TypedResults.Ok(new ExecResult(lab, vm, request.Command!, result.ExitCode, result.Output, result.Duration.TotalMilliseconds));
        }
        catch (GuestCommandException e)
        {
            return Failed($"({vm})$ {request.Command} did not run", e.Message);
        }
        finally
        {
            watchers.Trigger(lab);
        }
    }

    private static IResult Outcome(string lab, ActionResult result, string failure)
    {
        if (result.Succeeded) return TypedResults.Ok(new ActionDone(lab, result.Message));
        if (result.Problems.Count > 0) return Refused(result.Problems);
        return Failed(failure, result.Message);
    }

    private static IResult? BadLabName(string lab) =>
        InputRules.CheckLabName(lab) is { } problem ? Refused([new("lab", $"'{lab}' is not a lab name: {problem}")]) : null;

    private static IResult? FindVm(LabEngine engine, string lab, string vm, out VmDefinition? definition)
    {
        definition = null;
        var labDefinition = engine.Store.TryReadDefinition(lab);
        if (labDefinition is null) return NoSuchLab(lab);
        definition = labDefinition.Vm(vm);
        return definition is null
            ? TypedResults.Problem(labDefinition.NoSuchVm(vm), statusCode: StatusCodes.Status404NotFound, title: "No such VM")
            : null;
    }

    private static async Task<bool> ExistsAsync(LabEngine engine, string lab) =>
        engine.Store.Read(lab) is not null
        || (await engine.Reader.ListNamespacesAsync()).Any(new LabNamespaces(lab).All.Contains);

    private static IResult Refused(IEnumerable<LabFileProblem> problems) =>
        TypedResults.ValidationProblem(problems
            .GroupBy(p => p.Field)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()));

    private static IResult NoSuchLab(string lab) =>
        TypedResults.Problem($"there is no lab named '{lab}'", statusCode: StatusCodes.Status404NotFound, title: "No such lab");

    private static IResult Failed(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: title);

    private sealed class Collect(List<JournalEntry> entries) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => entries.Add(value);
    }
}

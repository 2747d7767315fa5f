using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Model;

namespace NetDashboard.Api;

/// <summary>The HTTP API under /api: the same services as the dashboard and the CLI.</summary>
public static class LabApi
{
    public static IEndpointRouteBuilder MapLabApi(this IEndpointRouteBuilder app)
    {
        var labs = app.MapGroup("/api/labs").WithTags("Labs");
        labs.MapGet("/{lab}/journal/script", (string lab, LabEngine engine) =>
        {
            if (InputRules.CheckLabName(lab) is { } problem)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["lab"] = [problem] });
            if (engine.Store.Read(lab) is null)
                return Results.Problem($"there is no lab named '{lab}'", statusCode: StatusCodes.Status404NotFound);
            var script = Journal.ExportScript(lab, engine.Store.JournalOf(lab).ReadAll());
            return Results.File(System.Text.Encoding.UTF8.GetBytes(script), "text/x-shellscript", $"{lab}.sh");
        }).WithName("ExportJournalScript").WithSummary("The journal as a bash script that rebuilds the lab");
        return app;
    }
}

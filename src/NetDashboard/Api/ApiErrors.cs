using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using NetDashboard.Lab.Model;

namespace NetDashboard.Api;

/// <summary>
/// Every error under /api (and of any request that is not a page's GET) is problem+json, whatever the method: a body
/// that is too large, not JSON, of the wrong type or with an unknown field names the field, and an unexpected
/// exception is a 500 problem without a stack trace. Pages keep the /Error page, which only a GET can re-execute.
/// </summary>
public static class ApiErrors
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static bool IsApiRequest(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api") || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
        && !context.Request.Path.StartsWithSegments("/_blazor") && !context.Request.Path.StartsWithSegments("/hubs");

    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) =>
        app.UseWhen(IsApiRequest, api =>
        {
            api.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteProblemAsync });
            api.UseStatusCodePages(context => WriteStatusAsync(context.HttpContext));
        });

    // A status set without a body (405, 404, a 413 the body reader answered itself) gets its problem here.
    private static Task WriteStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var problem = status == StatusCodes.Status413PayloadTooLarge
            ? new HttpValidationProblemDetails(TooLarge) { Status = status, Title = "the body is too large" }
            : new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = ReasonPhrases.GetReasonPhrase(status) };
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }

    private static Dictionary<string, string[]> TooLarge => new() { ["body"] = [$"a request body is at most {MaxRequestBodyBytes / 1024} KiB"] };

    private static async Task WriteProblemAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, title, errors) = error switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (400, "the body is not valid", FieldErrors(json)),
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (413, "the body is too large", TooLarge),
            BadHttpRequestException bad => (bad.StatusCode, "the request is not valid", new Dictionary<string, string[]> { ["body"] = [Printable.Quote(bad.Message, 200)] }),
            _ => (500, "the dashboard failed to answer; the details are in its log", null),
        };
        context.Response.StatusCode = status;
        var problem = errors is null
            ? new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title }
            : new HttpValidationProblemDetails(errors) { Status = status, Title = title };
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    // System.Text.Json names where it stopped ("$.memoryMb", "$.vms[0].name"): that path is the field.
    private static Dictionary<string, string[]> FieldErrors(JsonException json)
    {
        var field = json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        var message = json.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "is not a field of this request"
            : json.Message.Contains("could not be converted", StringComparison.Ordinal) ? "has the wrong type for this field"
            : json.Message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? "is nested too deeply"
            : "is not valid JSON here";
        return new() { [field] = [message] };
    }
}

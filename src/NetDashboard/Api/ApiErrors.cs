using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using NetDashboard.Lab.Model;

namespace NetDashboard.Api;

/// <summary>
/// Every error under /api (and of any request that is not a page's GET) is problem+json, whatever the method: a body
/// that is too large, not JSON, of the wrong type or with an unknown field names the field, and an unexpected
/// exception is a 500 problem without a stack trace. Pages keep the /Error page, which only a GET can re-execute.
/// </summary>
public static partial class ApiErrors
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static bool IsApiRequest(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api") || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
        && !context.Request.Path.StartsWithSegments("/_blazor") && !context.Request.Path.StartsWithSegments("/hubs");

    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) =>
        app.UseWhen(IsApiRequest, api =>
        {
            api.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteProblemAsync });
            api.UseStatusCodePages(WriteStatusProblemAsync);
        });

    private static Task WriteProblemAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, title, errors) = error switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (400, "the body is not valid", FieldErrors(json)),
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge => (413, TooLargeTitle, TooLarge()),
            // A route or query value of the wrong type ("seconds=abc"): the parameter is the field.
            BadHttpRequestException bad when BindFailure().Match(bad.Message) is { Success: true } bind =>
                (400, "the request is not valid", new() { [bind.Groups["name"].Value] = [$"'{Printable.Quote(bind.Groups["value"].Value)}' {WrongType}"] }),
            BadHttpRequestException bad => (bad.StatusCode, "the request is not valid", new Dictionary<string, string[]> { ["body"] = [Printable.Quote(bad.Message, 200)] }),
            _ => (500, "the dashboard failed to answer; the details are in its log", null),
        };
        return WriteAsync(context, status, title, errors);
    }

    // An answer the framework gave without a body: a 413 (Kestrel's body limit) and a 415 name what was wrong with the body.
    private static Task WriteStatusProblemAsync(StatusCodeContext statusCode)
    {
        var context = statusCode.HttpContext;
        return context.Response.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => WriteAsync(context, 413, TooLargeTitle, TooLarge()),
            StatusCodes.Status415UnsupportedMediaType => WriteAsync(context, 415, "the body is not JSON",
                new() { ["Content-Type"] = ["a request body is JSON, sent with Content-Type: application/json"] }),
            var status => WriteAsync(context, status, null, null),
        };
    }

    private static async Task WriteAsync(HttpContext context, int status, string? title, Dictionary<string, string[]>? errors)
    {
        context.Response.StatusCode = status;
        var problem = errors is null
            ? new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title }
            : new HttpValidationProblemDetails(errors) { Status = status, Title = title };
        // Try: a client that accepts no JSON gets the status alone, as from the framework's own status pages.
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    private const string TooLargeTitle = "the body is too large";
    private const string WrongType = "has the wrong type for this field";

    private static Dictionary<string, string[]> TooLarge() => new() { ["body"] = [$"a request body is at most {MaxRequestBodyBytes / 1024} KiB"] };

    // System.Text.Json names where it stopped ("$.memoryMb", "$.vms[0].name"): that path is the field; a missing
    // required field is named in the message only.
    private static Dictionary<string, string[]> FieldErrors(JsonException json)
    {
        if (MissingRequired().Match(json.Message) is { Success: true } missing)
            return missing.Groups["name"].Captures.ToDictionary(name => name.Value, _ => new[] { "is required" });
        var field = json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        var message = json.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "is not a field of this request"
            : json.Message.Contains("could not be converted", StringComparison.Ordinal) ? WrongType
            : json.Message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? "is nested too deeply"
            : json.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "is given twice; give each field once"
            : "is not valid JSON here";
        return new() { [field] = [message] };
    }

    [GeneratedRegex("""^Failed to bind parameter "(?:.*\s)?(?<name>[^\s"]+)" from "(?<value>.*)"\.\z""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex("missing required properties including: (?:'(?<name>[^']+)'(?:, )?)+")]
    private static partial Regex MissingRequired();
}

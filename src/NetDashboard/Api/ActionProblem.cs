using NetDashboard.Lab.Model;

namespace NetDashboard.Api;

/// <summary>An action's failure as an HTTP problem, the same for every endpoint: refused → 400 naming each field, not found → 404, conflict → 409, too many → 429, else 422.</summary>
public static class ActionProblem
{
    public static IResult Of(ActionResult result, string title) => result.Outcome switch
    {
        ActionOutcome.Refused => TypedResults.ValidationProblem(result.Problems
            .GroupBy(p => p.Field)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray())),
        ActionOutcome.NotFound => TypedResults.Problem(result.Message, statusCode: StatusCodes.Status404NotFound, title: title),
        ActionOutcome.Conflict => TypedResults.Problem(result.Message, statusCode: StatusCodes.Status409Conflict, title: title),
        ActionOutcome.TooMany => TypedResults.Problem(result.Message, statusCode: StatusCodes.Status429TooManyRequests, title: title),
        _ => TypedResults.Problem(result.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: title),
    };
}

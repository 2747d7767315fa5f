using System.Net;

namespace NetDashboard.Security;

/// <summary>
/// The small login page: one field for the access token, for a browser that arrives without the login link.
/// Plain HTML, no script: it must work before any session exists.
/// </summary>
public static class LoginEndpoints
{
    public static IEndpointRouteBuilder MapLogin(this IEndpointRouteBuilder app)
    {
        app.MapGet(RequestGuard.LoginPath, (HttpContext context) =>
            Page(context.Request.Query["returnUrl"], context.Request.Query.ContainsKey("failed")));
        app.MapPost(RequestGuard.LoginPath, async (HttpContext context, AccessToken token) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = LocalOrHome(form["returnUrl"]);
            if (!token.Matches(form["token"].ToString().Trim()))
                return Page(returnUrl, failed: true);
            RequestGuard.SignIn(context, token);
            return Results.Redirect(returnUrl);
        });
        return app;
    }

    // Only a path of this site: a login link must never send a person elsewhere.
    private static string LocalOrHome(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\') ? url : "/";

    private static IResult Page(string? returnUrl, bool failed)
    {
        var message = failed
            ? "<p class=\"login-error\" role=\"alert\">That is not this dashboard's token. Copy the login link again, or run <code>NetDashboard token</code> as root.</p>"
            : "";
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <title>Sign in · NetDashboard</title>
            <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
            <link href="/css/app.css" rel="stylesheet" />
            </head>
            <body class="login">
            <main class="login-box">
            <h1>NetDashboard</h1>
            <p>This dashboard can do what root can, so it asks for its access token. The dashboard printed a login link
            when it started; <code>dotnet run --project src/NetDashboard -- token</code> (as root) prints it again.</p>
            {{message}}
            <form method="post" action="{{RequestGuard.LoginPath}}">
            <label for="token">Access token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" autofocus required />
            <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(LocalOrHome(returnUrl))}}" />
            <button type="submit">Sign in</button>
            </form>
            </main>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: failed ? StatusCodes.Status401Unauthorized : StatusCodes.Status200OK);
    }
}

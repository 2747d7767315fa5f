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
            Page(context.Request.Query["returnUrl"], context.Request.Query.ContainsKey("failed"), context.Request.Query.ContainsKey("signedOut")));
        app.MapPost(RequestGuard.LoginPath, async (HttpContext context, AccessToken token, SessionStore sessions, WrongTokenLimit wrongTokens) =>
        {
            if (!context.Request.HasFormContentType)
                return Results.Text("the sign-in form is sent as application/x-www-form-urlencoded (a field named token); scripts send Authorization: Bearer TOKEN instead",
                    "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var returnUrl = LocalOrHome(form["returnUrl"]);
            if (!token.Matches(form["token"].ToString().Trim()))
            {
                wrongTokens.Wrong(context.Connection.RemoteIpAddress);
                return Page(returnUrl, failed: true);
            }
            RequestGuard.SignIn(context, sessions);
            return Results.Redirect(returnUrl);
        });
        // Whether this browser is still signed in: the page asks when its live connection drops (js/reconnect.js), and
        // goes to the sign-in page if not. The guard answers 401 before this runs when it is not.
        app.MapGet("/api/session", () => Results.NoContent());
        return app;
    }

    // Only a path of this site, without control characters (a browser drops a tab, and "/\t/evil.com" becomes
    // "//evil.com"): a login link must never send a person elsewhere.
    public static string LocalOrHome(string? url) =>
        url is { Length: > 0 and <= 2048 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\')
        && !url.Any(char.IsControl) && !url.Any(char.IsWhiteSpace)
            ? url
            : "/";

    private static IResult Page(string? returnUrl, bool failed, bool signedOut = false)
    {
        var message = failed
            ? "<p class=\"login-error\" role=\"alert\">That is not this dashboard's token. Copy the login link again, or run <code>netdash token</code> as root.</p>"
            : signedOut
            ? "<p class=\"login-error\" role=\"alert\" data-testid=\"signed-out\">You were signed out: the token was replaced or every session was ended. "
              + "Sign in with the new login link (<code>netdash token</code> as root prints it).</p>"
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
            when it started; <code>./netdash token</code> (as root, in the repository) prints it again.</p>
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

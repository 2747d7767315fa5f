using System.Net;
using Microsoft.Extensions.Options;
using NetDashboard.Configuration;

namespace NetDashboard.Security;

/// <summary>
/// The checks every request passes, in this order, before anything else runs:
/// 1. Host: a name the dashboard does not serve gets 400 (stops DNS rebinding, which needs a foreign name).
/// 2. Sign-in: a Bearer token, or the session cookie set by the login link; else 401 for the API, hubs, the Blazor
///    hub and the console relays, and a redirect to the login page for pages.
/// 3. Origin: a state-changing request or a live connection without a Bearer token needs this site's own Origin
///    (a cookie rides along on a cross-site form post; the Origin header tells it apart), else 403.
/// And every response forbids framing, sniffing and foreign scripts.
/// </summary>
public static class RequestGuard
{
    public const string SessionCookie = "netdash_session";
    public const string LoginPath = "/login";

    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        + "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'";

    // Public files a login page needs; none of them reveals or changes anything.
    private static readonly string[] PublicPrefixes = ["/css/", "/_content/MudBlazor/", "/favicon."];

    public static IApplicationBuilder UseRequestGuard(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var configuration = app.ApplicationServices.GetRequiredService<IConfiguration>();
        var token = app.ApplicationServices.GetRequiredService<AccessToken>();
        var hosts = ServedHosts(configuration["urls"], options.AllowedHosts);
        return app.Use(async (context, next) =>
        {
            var request = context.Request;
            var response = context.Response;
            if (!IsServedHost(request.Host.Host, hosts))
            {
                response.StatusCode = StatusCodes.Status400BadRequest;
                await response.WriteAsync("unknown host name");
                return;
            }
            response.OnStarting(() =>
            {
                response.Headers.XContentTypeOptions = "nosniff";
                response.Headers.XFrameOptions = "SAMEORIGIN";
                response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                response.Headers["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });

            var bearer = BearerOf(request);
            if (bearer is not null && !token.Matches(bearer))
            {
                await DenyAsync(context, StatusCodes.Status401Unauthorized, "the Bearer token is not this dashboard's");
                return;
            }
            var signedIn = bearer is not null || token.IsSession(request.Cookies[SessionCookie]);

            // The login link: sets the session cookie, then drops the token from the address bar and history.
            if (request.Query.TryGetValue("token", out var offered) && HttpMethods.IsGet(request.Method))
            {
                if (token.Matches(offered.ToString()))
                {
                    SignIn(context, token);
                    response.Redirect(PathWithoutToken(request));
                    return;
                }
                response.Redirect($"{LoginPath}?failed=1");
                return;
            }

            if (!signedIn && !IsPublic(request.Path))
            {
                if (NeedsStatusCode(request))
                    await DenyAsync(context, StatusCodes.Status401Unauthorized, "sign in first: open the login link the dashboard printed, or send Authorization: Bearer TOKEN");
                else
                    response.Redirect($"{LoginPath}?returnUrl={Uri.EscapeDataString(request.PathBase + request.Path + request.QueryString)}");
                return;
            }

            if (bearer is null && ChangesState(request) && !IsSameOrigin(request))
            {
                await DenyAsync(context, StatusCodes.Status403Forbidden, "this request must come from the dashboard's own pages (or carry a Bearer token)");
                return;
            }
            await next(context);
        });
    }

    /// <summary>Sets the session cookie: HttpOnly, SameSite=Strict, for this site only.</summary>
    public static void SignIn(HttpContext context, AccessToken token) =>
        context.Response.Cookies.Append(SessionCookie, token.SessionValue, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            IsEssential = true,
        });

    /// <summary>The host names this dashboard answers to: its URLs' hosts, localhost, and the configured extra names.</summary>
    public static IReadOnlySet<string> ServedHosts(string? urls, IEnumerable<string> allowed)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost" };
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host))
                hosts.Add(uri.Host.Trim('[', ']'));
        }
        foreach (var host in allowed)
            hosts.Add(host.Trim().Trim('[', ']'));
        return hosts;
    }

    /// <summary>
    /// A served name, or an IP address: a page can only rebind a name it owns, so an address literal as Host is never
    /// the attacker's page (the dashboard may listen on every address; each of them is reached by its number).
    /// </summary>
    public static bool IsServedHost(string host, IReadOnlySet<string> served) =>
        host.Length > 0 && (served.Contains(host.Trim('[', ']')) || IPAddress.TryParse(host.Trim('[', ']'), out _));

    private static bool IsPublic(PathString path) =>
        path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase)
        || PublicPrefixes.Any(prefix => path.Value?.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) == true);

    // Machines and scripts get a status code; a person opening a page gets the login page.
    private static bool NeedsStatusCode(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/openapi") || request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor")
        || IsWebSocket(request) || !HttpMethods.IsGet(request.Method)
        || request.Path.Value?.EndsWith("/vnc", StringComparison.Ordinal) == true
        || request.Path.Value?.EndsWith("/serial", StringComparison.Ordinal) == true;

    // A plain GET changes nothing and a browser sends no Origin with a same-origin GET; a cross-site GET carries no
    // cookie (SameSite=Strict), so it is refused by sign-in instead. A WebSocket handshake is a GET that always has one.
    private static bool ChangesState(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        || IsWebSocket(request);

    private static bool IsWebSocket(HttpRequest request) =>
        request.Headers.Upgrade.Any(u => string.Equals(u, "websocket", StringComparison.OrdinalIgnoreCase));

    private static bool IsSameOrigin(HttpRequest request) =>
        request.Headers.Origin.FirstOrDefault() is { } origin
        && Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string PathWithoutToken(HttpRequest request)
    {
        var rest = request.Query.Where(q => q.Key != "token").SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"));
        var query = string.Join('&', rest);
        return $"{request.PathBase}{request.Path}{(query.Length > 0 ? "?" + query : "")}";
    }

    private static async Task DenyAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message);
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using NetDashboard.Configuration;

namespace NetDashboard.Security;

/// <summary>
/// The checks every request passes, in this order, before anything else runs:
/// 1. Host: a name the dashboard does not serve gets 400 (stops DNS rebinding, which needs a foreign name).
/// 2. Local user: a connection from this machine is accepted only from an allowed user's socket (root, SUDO_UID,
///    NetDashboard:LocalUsers), else 403: a cookie or token replayed by another local user gets nowhere.
/// 3. Sign-in: a Bearer token, or the session cookie set by the login link; else 401 for the API, hubs, the Blazor
///    hub and the console relays, and a redirect to the login page for pages. The request is then tracked as open
///    until it ends, and aborted if its sign-in is revoked meanwhile (<see cref="LiveConnections"/>).
/// 4. Origin: a state-changing request or a live connection without a Bearer token needs this site's own Origin
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
        var sessions = app.ApplicationServices.GetRequiredService<SessionStore>();
        var peers = app.ApplicationServices.GetRequiredService<LocalPeers>();
        var live = app.ApplicationServices.GetRequiredService<LiveConnections>();
        var wrongTokens = app.ApplicationServices.GetRequiredService<WrongTokenLimit>();
        var hosts = ServedHosts(configuration["urls"], options.AllowedHosts);
        return app.Use(async (context, next) =>
        {
            var request = context.Request;
            var response = context.Response;
            // Every response carries them, refusals too.
            response.OnStarting(() =>
            {
                response.Headers.XContentTypeOptions = "nosniff";
                response.Headers.XFrameOptions = "SAMEORIGIN";
                response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                response.Headers["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            if (!IsServedHost(request.Host.Host, hosts))
            {
                await DenyAsync(context, StatusCodes.Status400BadRequest, "unknown host name");
                return;
            }
            if (RefusedLocalUser(context, peers) is { } refusal)
            {
                await DenyAsync(context, StatusCodes.Status403Forbidden, refusal);
                return;
            }

            var bearer = BearerOf(request);
            var offersToken = bearer is not null || request.Query.ContainsKey("token")
                                                 || (request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase) && HttpMethods.IsPost(request.Method));
            if (offersToken && wrongTokens.WaitFor(context.Connection.RemoteIpAddress) is { } wait)
            {
                response.Headers.RetryAfter = $"{Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0}";
                await DenyAsync(context, StatusCodes.Status429TooManyRequests, WrongTokenLimit.Refusal(wait));
                return;
            }
            if (bearer is not null && !token.Matches(bearer))
            {
                wrongTokens.Wrong(context.Connection.RemoteIpAddress);
                await DenyAsync(context, StatusCodes.Status401Unauthorized, "the Bearer token is not this dashboard's");
                return;
            }
            var cookie = request.Cookies[SessionCookie];
            var credential = bearer is not null ? Credential.Bearer(bearer)
                : sessions.IsValid(cookie) ? Credential.Session(cookie!)
                : null;

            // The login link: sets the session cookie, then drops the token from the address bar and history.
            // (The query's names are matched without regard to case: ?TOKEN= is the same link.)
            if (request.Query.TryGetValue("token", out var offered) && HttpMethods.IsGet(request.Method))
            {
                if (token.Matches(offered.ToString()))
                {
                    SignIn(context, sessions);
                    response.Redirect(PathWithoutToken(request));
                    return;
                }
                wrongTokens.Wrong(context.Connection.RemoteIpAddress);
                response.Redirect($"{LoginPath}?failed=1");
                return;
            }

            if (credential is null && !IsPublic(request.Path))
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
            if (credential is null)
            {
                await next(context);
                return;
            }
            using (live.Track(context, credential))
                await next(context);
        });
    }

    /// <summary>Starts a session and sets its cookie: HttpOnly, SameSite=Strict, for this site only, Secure over https.</summary>
    public static void SignIn(HttpContext context, SessionStore sessions) =>
        context.Response.Cookies.Append(SessionCookie, sessions.Create(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            IsEssential = true,
            MaxAge = sessions.Lifetime,
        });

    private const string PeerVerdictKey = "netdash.local-user-refusal";

    /// <summary>
    /// Null when the connection may go on: from another machine (the kernel cannot say who), or from an allowed local
    /// user; else the sentence of the refusal. Decided once per connection: its socket's owner does not change.
    /// </summary>
    private static string? RefusedLocalUser(HttpContext context, LocalPeers peers)
    {
        var items = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items;
        if (items?.TryGetValue(PeerVerdictKey, out var known) == true) return (string?)known;
        var verdict = Judge(context.Connection, peers);
        if (items is not null) items[PeerVerdictKey] = verdict;
        return verdict;
    }

    private static string? Judge(ConnectionInfo connection, LocalPeers peers)
    {
        if (connection.RemoteIpAddress is not { } remoteAddress || connection.LocalIpAddress is not { } localAddress) return null;
        var client = new IPEndPoint(remoteAddress, connection.RemotePort);
        var owner = peers.OwnerOf(client, new IPEndPoint(localAddress, connection.LocalPort));
        if (owner is null)
            // Loopback is always this machine: a socket the kernel cannot name (gone already) is nobody's to trust.
            return IPAddress.IsLoopback(remoteAddress.IsIPv4MappedToIPv6 ? remoteAddress.MapToIPv4() : remoteAddress)
                ? "this connection comes from this machine, but from no socket the kernel lists; it is refused"
                : null;
        if (peers.Allowed.Contains(owner.Value)) return null;
        var user = LocalPeers.NameOf(owner.Value);
        return $"this connection comes from local user {user}, who may not use this dashboard (it can do what root can). "
               + $"Only root and the user who started it through sudo may; to allow {user}, start it with NetDashboard__LocalUsers={owner.Value}.";
    }

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
        var rest = request.Query.Where(q => !string.Equals(q.Key, "token", StringComparison.OrdinalIgnoreCase)).SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"));
        var query = string.Join('&', rest);
        // "//evil.example/?token=…" is a path of this site, but as a Location it would name another host.
        return LoginEndpoints.LocalOrHome($"{request.PathBase}{request.Path}{(query.Length > 0 ? "?" + query : "")}");
    }

    private static async Task DenyAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message);
    }
}

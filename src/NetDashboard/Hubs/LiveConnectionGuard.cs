namespace NetDashboard.Hubs;

/// <summary>
/// Guards what a hostile page in the same browser could abuse: live connections (WebSockets, the Blazor
/// hub's negotiate) need this site's own Origin, missing or foreign gets 403; and no other site may frame
/// the dashboard.
/// </summary>
public static class LiveConnectionGuard
{
    public static IApplicationBuilder UseLiveConnectionGuard(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            // Set last, as the response starts, so pages that add their own copy still send one value.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.XFrameOptions = "SAMEORIGIN";
                if (!context.Response.Headers.ContentSecurityPolicy.Any(p => p?.Contains("frame-ancestors", StringComparison.Ordinal) == true))
                    context.Response.Headers.Append("Content-Security-Policy", "frame-ancestors 'self'");
                return Task.CompletedTask;
            });
            if (IsLiveConnection(context.Request) && !IsSameOrigin(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("live connections are accepted from this site's own pages only");
                return;
            }
            await next(context);
        });

    private static bool IsLiveConnection(HttpRequest request) =>
        request.Headers.Upgrade.Any(u => string.Equals(u, "websocket", StringComparison.OrdinalIgnoreCase))
        || request.Path.StartsWithSegments("/_blazor/negotiate", StringComparison.OrdinalIgnoreCase);

    private static bool IsSameOrigin(HttpRequest request) =>
        request.Headers.Origin.FirstOrDefault() is { } origin
        && Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);
}

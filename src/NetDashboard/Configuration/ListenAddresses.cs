using System.Net;

namespace NetDashboard.Configuration;

/// <summary>
/// The dashboard listens on loopback only: anything it can do (create namespaces, start VMs, open consoles)
/// is root's power, and there is no sign-in yet for other addresses.
/// </summary>
public static class ListenAddresses
{
    /// <summary>The configured URLs (the "urls" key: appsettings Urls, --urls, ASPNETCORE_URLS) that are not loopback.</summary>
    public static IReadOnlyList<string> NotLoopback(IConfiguration configuration) =>
        (configuration["urls"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(url => !IsLoopback(url))
            .ToList();

    private static bool IsLoopback(string url)
    {
        // Kestrel's wildcards ("http://*:80", "http://+:80") are not valid URIs; they mean every address.
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
            return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}

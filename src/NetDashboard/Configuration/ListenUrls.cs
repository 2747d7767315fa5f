using System.Net;

namespace NetDashboard.Configuration;

/// <summary>The --urls / Urls value, checked before Kestrel tries to bind, so a bad one is a sentence rather than a crash.</summary>
public static class ListenUrls
{
    public static string? Problem(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcards ("http://*:5080", "http://+:5080") are not URIs; their hosts need no check.
            var host = url.Split("://", 2) is [var scheme, var rest] && scheme is "http" or "https" ? rest.Split('/')[0] : null;
            if (host is null)
                return $"'{url}' is not a URL to listen on; use one like http://127.0.0.1:5080";
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
                return $"'{url}' is not a URL to listen on; use one like http://127.0.0.1:5080";
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && address.IsIPv4MappedToIPv6)
                return $"'{url}' is an IPv4 address written as IPv6, which Linux cannot listen on; use http://{address.MapToIPv4()}:{uri.Port}";
        }
        return null;
    }
}

namespace NetDashboard.Security;

/// <summary>The address a person opens: the first configured URL, with a wildcard or any-address host shown as 127.0.0.1.</summary>
public static class LoginUrl
{
    public const string Default = "http://127.0.0.1:5080";

    /// <summary>Where a running dashboard notes the address it serves, so the CLI's link names the port really served.</summary>
    public static string ServedFile(string stateFolder) => Path.Combine(stateFolder, "served-url");

    /// <summary>The address the dashboard last noted it serves, when it is a plain http(s) URL; else null.</summary>
    public static string? LastServed(string stateFolder)
    {
        var path = ServedFile(stateFolder);
        if (!File.Exists(path) || new FileInfo(path).Length > 512) return null;
        var text = File.ReadAllText(path).Trim();
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? text : null;
    }

    public static string Base(IEnumerable<string>? listening, string? configured)
    {
        var url = listening?.FirstOrDefault()
                  ?? configured?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
                  ?? Default;
        url = url.Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
        return url.TrimEnd('/');
    }
}

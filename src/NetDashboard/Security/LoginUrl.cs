namespace NetDashboard.Security;

/// <summary>The address a person opens: the first configured URL, with a wildcard or any-address host shown as 127.0.0.1.</summary>
public static class LoginUrl
{
    public const string Default = "http://127.0.0.1:5080";

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

namespace NetDashboard.Configuration;

/// <summary>Finds the repository root, where appsettings.json, wwwroot/ and labs/ live when run from source.</summary>
public static class RepositoryLayout
{
    private const string Marker = "NetDashboard.sln";

    public static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, Marker)))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}

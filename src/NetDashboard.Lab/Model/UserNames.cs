using System.Globalization;

namespace NetDashboard.Lab.Model;

/// <summary>Local users' names and uids as /etc/passwd lists them, for sentences that name a user.</summary>
public static class UserNames
{
    /// <summary>A uid's user name, "nobody (uid 65534)", or the bare number when it has none.</summary>
    public static string NameOf(long uid, string passwd = "/etc/passwd") =>
        Users(passwd).FirstOrDefault(u => u.Value == uid).Key is { } name ? $"{name} (uid {uid})" : $"uid {uid}";

    /// <summary>Every user by name; empty when the file is missing.</summary>
    public static Dictionary<string, int> Users(string passwd = "/etc/passwd")
    {
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!File.Exists(passwd)) return users;
        foreach (var line in File.ReadLines(passwd))
        {
            if (line.Split(':') is [var name, _, var uidText, ..] && int.TryParse(uidText, NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
                users.TryAdd(name, uid);
        }
        return users;
    }
}

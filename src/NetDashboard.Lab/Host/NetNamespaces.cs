using System.Globalization;

namespace NetDashboard.Lab.Host;

/// <summary>
/// Named network namespaces read the way `ip netns list` and `ip netns pids` read them, from /run/netns and /proc,
/// without starting a process: a lab up or down would otherwise spend a process spawn on each read.
/// </summary>
public static class NetNamespaces
{
    /// <summary>Where iproute2 keeps a named namespace: a bind mount of its nsfs file.</summary>
    public const string RunFolder = "/run/netns";

    /// <summary>Whether a named namespace exists (its nsfs file is in /run/netns), read with one stat.</summary>
    public static bool Exists(string ns) => UnixFile.InodeOf(Path.Combine(RunFolder, ns)) is not null;

    /// <summary>The named namespaces: the entries of /run/netns, as `ip netns list` lists them.</summary>
    public static IReadOnlyList<string> Names() =>
        Directory.Exists(RunFolder) ? Directory.EnumerateFileSystemEntries(RunFolder).Select(Path.GetFileName).OfType<string>().ToList() : [];

    /// <summary>
    /// The pids of the processes living in a namespace, as `ip netns pids` finds them: each process's /proc/PID/ns/net
    /// ("net:[INODE]") names the same nsfs inode as /run/netns/NAME. Empty when the namespace does not exist.
    /// </summary>
    public static IReadOnlyList<int> Pids(string ns)
    {
        if (UnixFile.InodeOf(Path.Combine(RunFolder, ns)) is not { } inode)
            return [];
        var wanted = $"net:[{inode.ToString(CultureInfo.InvariantCulture)}]";
        var pids = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                if (new FileInfo(Path.Combine(folder, "ns", "net")).LinkTarget == wanted)
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process exited while /proc was being read, or is not ours to look at: `ip netns pids` skips it too.
            }
        }
        return pids;
    }
}

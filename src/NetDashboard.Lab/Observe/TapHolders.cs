using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Which process holds each tap: a process's open /dev/net/tun says the interface's name in its fdinfo ("iff:"), and
/// the tap lives in that process's namespace (QEMU is started where its tap is). For QEMU, the guest's name comes
/// from its command line: `-name guest=web1,debug-threads=on` (libvirt) or `-name vm1`.
/// </summary>
internal static class TapHolders
{
    /// <param name="processes">The processes to look at, with the namespace each lives in (read once, by the observer).</param>
    public static IReadOnlyDictionary<(ulong Namespace, string Tap), TapHolder> Find(IEnumerable<(ulong Namespace, int Pid)> processes)
    {
        var holders = new Dictionary<(ulong, string), TapHolder>();
        foreach (var (ns, pid) in processes)
        {
            foreach (var tap in TapsOf(pid))
                holders.TryAdd((ns, tap), new TapHolder(pid, ProcNamespaces.Comm(pid) ?? "?", GuestName(ProcNamespaces.CommandLine(pid))));
        }
        return holders;
    }

    private static IEnumerable<string> TapsOf(int pid)
    {
        IEnumerable<string> fds;
        try
        {
            fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // gone, or a kernel thread
        }
        foreach (var fd in fds)
        {
            string? info = null;
            try
            {
                if (new FileInfo(fd).LinkTarget != "/dev/net/tun") continue;
                info = File.ReadAllText($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            if (info?.Split('\n').FirstOrDefault(l => l.StartsWith("iff:", StringComparison.Ordinal)) is { } line)
                yield return line["iff:".Length..].Trim();
        }
    }

    /// <summary>The value of QEMU's -name, without libvirt's "guest=" and its options.</summary>
    internal static string? GuestName(string? commandLine)
    {
        if (commandLine is null) return null;
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "-name");
        if (at < 0 || at + 1 >= words.Length) return null;
        var value = words[at + 1].Split(',')[0];
        return value.StartsWith("guest=", StringComparison.Ordinal) ? value["guest=".Length..] : value;
    }
}

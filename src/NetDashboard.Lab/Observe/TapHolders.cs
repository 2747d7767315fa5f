using System.Globalization;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Which process holds each tap: a process's open /dev/net/tun says the interface's name in its fdinfo ("iff:"), and
/// the tap lives in that process's namespace (QEMU is started where its tap is). For QEMU, the guest's name comes
/// from its command line: `-name guest=web1,debug-threads=on` (libvirt) or `-name vm1`.
/// </summary>
internal static class TapHolders
{
    public static IReadOnlyDictionary<(ulong Namespace, string Tap), TapHolder> Find()
    {
        var holders = new Dictionary<(ulong, string), TapHolder>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!name.All(char.IsAsciiDigit) || !int.TryParse(name, CultureInfo.InvariantCulture, out var pid)) continue;
            foreach (var tap in TapsOf(pid))
            {
                if (ProcNamespaces.InodeOfLink($"{dir}/ns/net") is not { } ns) continue;
                holders.TryAdd((ns, tap), new TapHolder(pid, ProcNamespaces.Comm(pid) ?? "?", GuestName(ProcNamespaces.CommandLine(pid))));
            }
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

using System.Globalization;
using System.Runtime.InteropServices;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The network namespaces another process's sockets live in, read from outside it: each socket is borrowed with
/// pidfd_getfd and asked with SIOCGSKNS. A socket keeps its namespace alive after the namespace's name is deleted,
/// so this finds what `ip netns list` no longer shows. Needs root (ptrace access to the process).
/// </summary>
public static class SocketNamespaces
{
    private const long PidfdOpen = 434;  // x86_64
    private const long PidfdGetfd = 438; // x86_64
    private const nuint SiocGSkNs = 0x894C;

    [DllImport("libc", SetLastError = true)]
    private static extern int syscall(long number, int first, int second, int third);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request);

    [DllImport("libc")]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int fd, int level, int name, out int value, ref int length);

    private const int SolSocket = 1;
    private const int SoType = 3;
    private const int SoDomain = 39;

    /// <summary>The namespace this test process runs in, as "net:[inode]".</summary>
    public static string Own => new FileInfo("/proc/self/ns/net").LinkTarget!;

    /// <summary>A socket of another process: its namespace ("net:[inode]"), and its family and type as numbers (AF_PACKET is 17, AF_UNIX 1).</summary>
    public sealed record Socket(string Namespace, int Family, int Type)
    {
        public override string ToString() => $"a socket (family {Family}, type {Type}) in {Namespace}";
    }

    /// <summary>Each socket, by the process's fd number.</summary>
    public static IReadOnlyDictionary<int, Socket> Sockets(int pid)
    {
        var pidfd = syscall(PidfdOpen, pid, 0, 0);
        if (pidfd < 0)
            throw new InvalidOperationException($"pidfd_open({pid}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var namespaces = new Dictionary<int, Socket>();
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var fd = int.Parse(Path.GetFileName(entry), CultureInfo.InvariantCulture);
                if (LinkOf(entry) is not { } target || !target.StartsWith("socket:", StringComparison.Ordinal)) continue;
                var borrowed = syscall(PidfdGetfd, pidfd, fd, 0);
                if (borrowed < 0) continue; // closed since it was listed
                try
                {
                    var ns = ioctl(borrowed, SiocGSkNs);
                    if (ns < 0) continue;
                    var length = sizeof(int);
                    var family = getsockopt(borrowed, SolSocket, SoDomain, out var domain, ref length) == 0 ? domain : -1;
                    length = sizeof(int);
                    var type = getsockopt(borrowed, SolSocket, SoType, out var kind, ref length) == 0 ? kind : -1;
                    namespaces[fd] = new Socket(LinkOf($"/proc/self/fd/{ns}") ?? "?", family, type);
                    close(ns);
                }
                finally
                {
                    close(borrowed);
                }
            }
        }
        finally
        {
            close(pidfd);
        }
        return namespaces;
    }

    /// <summary>
    /// The process's threads in another namespace than <see cref="Own"/>, as "thread TID 'name' in net:[inode]".
    /// setns moves one thread; a thread it starts is born there, so a thread left in a lab's namespace pins it.
    /// </summary>
    public static IEnumerable<string> ThreadsOutside(int pid, Func<string, bool>? ignore = null)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string? name = null, ns = null;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                ns = new FileInfo(Path.Combine(task, "ns", "net")).LinkTarget;
            }
            catch (IOException)
            {
                // the thread ended since it was listed
            }
            if (ns is not null && ns != Own && ignore?.Invoke(name!) != true)
                yield return $"thread {Path.GetFileName(task)} '{name}' in {ns}";
        }
    }

    private static string? LinkOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // the fd was closed while we looked
        }
    }
}

using System.Runtime.InteropServices;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// Runs work on a fresh thread that first entered a network namespace. setns changes only the calling OS thread,
/// so the thread is ours alone; it goes back to our namespace before it reports, and ends. A socket (a pcap handle)
/// opened there stays bound to that namespace after the thread is gone.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    // struct stat on x86_64: st_dev, then st_ino; 144 bytes in all.
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct FileStatus
    {
        public ulong Device;
        public ulong Inode;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, out FileStatus status);

    /// <param name="name">A name already checked to be one of a lab's namespaces (it becomes a path).</param>
    public static Task<T> RunAsync<T>(string name, string threadName, Func<T> work)
    {
        // A lab that is down is looked for every retry: answer that without starting a thread.
        if (!File.Exists(NamespacePath(name)))
            return Task.FromException<T>(new NamespaceMissingException($"namespace {name} does not exist"));
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // A thread this one starts is born in its namespace, and reporting may start one: the thread pool adds
            // workers from the thread that queues work. A pool thread left in a lab's namespace would pin it after
            // the lab is gone and put every socket and process it made there, so the thread leaves before it reports.
            using var own = File.OpenHandle(ThreadNamespacePath, FileMode.Open, FileAccess.Read);
            var result = default(T);
            Exception? error = null;
            try
            {
                Enter(name);
                result = work();
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                if (setns((int)own.DangerousGetHandle(), CloneNewNet) != 0)
                    Environment.FailFast($"a thread could not leave namespace {name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            if (error is null)
                done.SetResult(result!);
            else
                done.SetException(error);
        })
        {
            IsBackground = true,
            Name = threadName,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Which namespace the name stands for now (its inode), or null when there is none. A socket opened in a
    /// namespace keeps it alive after its name is deleted, and a lab made again under the same name is another one.
    /// </summary>
    public static ulong? IdOf(string name) => Stat(NamespacePath(name), out var status) == 0 ? status.Inode : null;

    private const string ThreadNamespacePath = "/proc/thread-self/ns/net";

    // A lab's namespace by its name; this host's (observe mode) by its path, already checked by the capture's key.
    private static string NamespacePath(string name) => name.StartsWith('/') ? name : Path.Combine("/run/netns", name);

    private static void Enter(string name)
    {
        using var handle = File.OpenHandle(NamespacePath(name), FileMode.Open, FileAccess.Read);
        if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            throw new InvalidOperationException($"setns into {name} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}

/// <summary>The namespace is not there (the lab is down or being rebuilt): like a missing interface, worth retrying.</summary>
internal sealed class NamespaceMissingException(string message) : Exception(message);

using System.Runtime.InteropServices;

namespace NetDashboard.Lab.Host;

/// <summary>
/// Waits for any process (not only a child) to exit, through a pidfd: the kernel wakes the waiter the
/// moment the process dies, so a crash is seen at once, with no polling by name.
/// </summary>
public static partial class ProcessExit
{
    private const long SysPidfdOpen = 434; // x86_64
    private const short PollIn = 0x001;
    private const int Interrupted = 4;     // EINTR

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int syscall(long number, int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, ulong count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>Completes when the process exits (at once if it is already gone). Runs its wait on a thread of its own.</summary>
    public static Task WaitAsync(int pid, CancellationToken cancellationToken)
    {
        var fd = syscall(SysPidfdOpen, pid, 0);
        if (fd < 0)
            return Task.CompletedTask; // no such process: it has exited already
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var entry = new PollFd { Fd = fd, Events = PollIn };
                while (!cancellationToken.IsCancellationRequested)
                {
                    entry.Revents = 0;
                    var ready = poll(ref entry, 1, 200);
                    if (ready > 0 || (ready < 0 && Marshal.GetLastPInvokeError() != Interrupted))
                    {
                        done.TrySetResult();
                        return;
                    }
                }
                done.TrySetCanceled(cancellationToken);
            }
            finally
            {
                close(fd);
            }
        })
        { IsBackground = true, Name = $"exit watch {pid}" };
        thread.Start();
        return done.Task;
    }
}

using System.Runtime.InteropServices;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// One thread reads every open capture: it waits on all their descriptors at once (poll) and reads each one that has
/// packets ready, so an open capture costs a descriptor, not a thread. A handle is read only while registered;
/// <see cref="Registration.Dispose"/> returns once no read of it is running, so the handle can then be closed.
/// </summary>
internal sealed unsafe partial class CapturePump
{
    private static readonly Lazy<CapturePump> LazyShared = new(() => new CapturePump());
    private const short PollIn = 0x1, PollPri = 0x2;
    private const int EventFdCloseOnExec = 0x80000, EventFdNonBlocking = 0x800;

    private readonly Lock _devices = new();
    private readonly List<PumpedLiveDevice> _registered = [];
    // Held while a handle is read: a registration ends only between reads.
    private readonly Lock _reading = new();
    private readonly int _wake;

    private CapturePump()
    {
        _wake = EventFd(0, EventFdCloseOnExec | EventFdNonBlocking);
        if (_wake < 0) throw new InvalidOperationException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        // Born in the namespace of whoever first captures, which is the dashboard's own: captures open their handles
        // on threads of the lab's namespace, but are started (and this made) from ours.
        new Thread(Run) { IsBackground = true, Name = "capture pump" }.Start();
    }

    public static CapturePump Shared => LazyShared.Value;

    public Registration Add(PumpedLiveDevice device)
    {
        lock (_devices) _registered.Add(device);
        Wake();
        return new Registration(this, device);
    }

    private void Remove(PumpedLiveDevice device)
    {
        lock (_reading)
        {
            lock (_devices) _registered.Remove(device);
        }
        Wake();
    }

    private void Wake()
    {
        ulong one = 1;
        _ = Write(_wake, &one, sizeof(ulong));
    }

    private void Run()
    {
        var fds = new PollFd[1];
        var devices = new List<PumpedLiveDevice>();
        while (true)
        {
            devices.Clear();
            lock (_devices) devices.AddRange(_registered);
            if (fds.Length < devices.Count + 1) fds = new PollFd[devices.Count * 2 + 1];
            fds[0] = new PollFd { Fd = _wake, Events = PollIn };
            for (var i = 0; i < devices.Count; i++)
                fds[i + 1] = new PollFd { Fd = devices[i].Descriptor, Events = PollIn | PollPri };
            int ready;
            fixed (PollFd* pointer = fds)
                ready = Poll(pointer, (ulong)(devices.Count + 1), 1000);
            if (ready <= 0) continue; // a timeout, or EINTR: look again
            if (fds[0].Revents != 0)
            {
                ulong drained;
                _ = Read(_wake, &drained, sizeof(ulong));
            }
            for (var i = 0; i < devices.Count; i++)
            {
                // Ready, or in error (POLLERR, POLLHUP): a read reports either.
                if (fds[i + 1].Revents == 0) continue;
                var device = devices[i];
                lock (_reading)
                {
                    lock (_devices)
                    {
                        if (!_registered.Contains(device)) continue;
                    }
                    if (!device.ReadReady())
                        lock (_devices) _registered.Remove(device);
                }
            }
        }
    }

    /// <summary>A device read by the pump until this is disposed.</summary>
    public sealed class Registration(CapturePump pump, PumpedLiveDevice device) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) pump.Remove(device);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, void* buffer, nuint count);
}

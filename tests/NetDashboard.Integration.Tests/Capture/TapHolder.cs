using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NetDashboard.Lab.Capture;

namespace NetDashboard.Integration.Tests.Capture;

/// <summary>
/// Plays QEMU for a tap: attaches to an existing tap inside a lab namespace (so it has a carrier, as with a running
/// VM) and writes Ethernet frames into it, which the host sees arriving on the tap. Frames stay in the lab.
/// </summary>
internal sealed class TapHolder : IDisposable
{
    private const uint TunSetIff = 0x400454ca;
    private const short IffTap = 0x0002;
    private const short IffNoPi = 0x1000;

    private readonly SafeFileHandle _handle;
    private readonly FileStream _stream;

    private TapHolder(SafeFileHandle handle)
    {
        _handle = handle;
        _stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
    }

    // struct ifreq: a 16-byte name, then the flags; 40 bytes in all. A plain array keeps this free of unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, byte[] ifreq);

    public static async Task<TapHolder> AttachAsync(string ns, string tap) =>
        new(await NetworkNamespace.RunAsync(ns, "tap holder", () =>
        {
            var handle = File.OpenHandle("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite);
            var request = new byte[40];
            System.Text.Encoding.ASCII.GetBytes(tap, request);
            BitConverter.TryWriteBytes(request.AsSpan(16), (short)(IffTap | IffNoPi));
            if (ioctl((int)handle.DangerousGetHandle(), TunSetIff, request) != 0)
            {
                var error = Marshal.GetLastPInvokeErrorMessage();
                handle.Dispose();
                throw new InvalidOperationException($"TUNSETIFF {tap} in {ns}: {error}");
            }
            return handle;
        }));

    public void Send(byte[] frame) => _stream.Write(frame);

    public void Dispose()
    {
        _stream.Dispose();
        _handle.Dispose();
    }
}

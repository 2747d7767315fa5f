using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// A libpcap device read by the <see cref="CapturePump"/>, the one thread that reads every open capture, instead of a
/// capture loop of its own. SharpPcap's <c>StartCapture</c> runs a loop that blocks for the capture's whole life, on a
/// thread of its own: a lab's 16 captures held 16 threads (and, on the pool, starved it). Here the handle is put in
/// non-blocking mode and read only when its descriptor says packets wait, with SharpPcap's own packet handler, so
/// <see cref="PcapDevice.OnPacketArrival"/> and <see cref="PcapDevice.OnCaptureStopped"/> work as before.
/// </summary>
internal sealed unsafe partial class PumpedLiveDevice(PcapInterface pcapInterface) : LibPcapLiveDevice(pcapInterface)
{
    // The device whose handle the pump is reading: libpcap's callback carries only the pcap_t pointer.
    [ThreadStatic] private static PumpedLiveDevice? t_reading;

    private CapturePump.Registration? _pumped;

    public override bool Started => Volatile.Read(ref _pumped) is not null;

    /// <summary>libpcap's selectable descriptor of the open handle.</summary>
    internal int Descriptor => FileDescriptor;

    public override void StartCapture()
    {
        // Not open, no handler: SharpPcap's own checks say so.
        if (Started || !Opened || FileDescriptor < 0)
        {
            base.StartCapture();
            return;
        }
        NonBlockingMode = true;
        Volatile.Write(ref _pumped, CapturePump.Shared.Add(this));
    }

    /// <summary>Returns once the pump no longer reads this handle (it may then be closed).</summary>
    public override void StopCapture()
    {
        if (Interlocked.Exchange(ref _pumped, null) is { } pumped)
            pumped.Dispose();
        else
            base.StopCapture();
    }

    /// <summary>
    /// On the pump's thread: hands every packet libpcap has ready to the handlers. False when the handle failed (the
    /// interface went away): <see cref="PcapDevice.OnCaptureStopped"/> has then been raised, and it is read no more.
    /// </summary>
    internal bool ReadReady()
    {
        var handle = Handle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            t_reading = this;
            var pointer = handle.DangerousGetHandle();
            var read = Dispatch(pointer, -1, &OnPacket, pointer);
            if (read >= 0) return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // closed meanwhile: nobody waits for its packets
        }
        finally
        {
            t_reading = null;
            if (added) handle.DangerousRelease();
        }
        SendCaptureStoppedEvent(CaptureStoppedEventStatus.ErrorWhileCapturing);
        return false;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnPacket(IntPtr user, IntPtr header, IntPtr data)
    {
        try
        {
            t_reading?.PacketHandler(user, header, data);
        }
        catch (Exception)
        {
            // An exception may not cross back into libpcap; the handlers never throw (they only copy into a slot).
        }
    }

    [LibraryImport("libpcap.so.0.8", EntryPoint = "pcap_dispatch")]
    private static partial int Dispatch(IntPtr pcap, int count, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> callback, IntPtr user);
}

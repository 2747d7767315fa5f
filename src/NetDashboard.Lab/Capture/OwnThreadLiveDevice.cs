using SharpPcap;
using SharpPcap.LibPcap;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// A libpcap device whose capture loop runs on a thread of its own. SharpPcap's <c>StartCapture</c> runs the loop,
/// which blocks for the capture's whole life, with <c>Task.Run</c>: every open capture held a thread-pool thread,
/// and a few of them starved the pool (new threads come at about two a second) — a trace's four captures took
/// 1.7 s to start instead of 0.1 s, and every await in the process waited with them.
/// </summary>
internal sealed class OwnThreadLiveDevice(PcapInterface pcapInterface) : LibPcapLiveDevice(pcapInterface)
{
    public override void StartCapture()
    {
        // Not open: SharpPcap's own check says so (LiveCapture sets the handler before it starts).
        if (Started || !Opened)
        {
            base.StartCapture();
            return;
        }
        var cancellationToken = threadCancellationTokenSource.Token;
        captureThread = Task.Factory.StartNew(() => CaptureThread(cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}

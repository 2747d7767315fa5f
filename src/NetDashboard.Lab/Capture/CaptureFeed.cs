using NetDashboard.Lab.Model;
using System.Runtime.CompilerServices;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// The one way rows leave a capture, for the Blazor panes and the SignalR hub alike: batches from the capture's
/// ring, at most ten a second and each bounded; a viewer further behind than one batch skips to the newest rows
/// and is told how many it missed (the server never buffers for a slow viewer). A batch also comes once a second
/// without rows, so counters and "interface gone" reach a quiet pane.
/// </summary>
public static class CaptureFeed
{
    // 10 batches a second of up to 5,000 rows keep up with 50,000 rows a second: a live view at 20 kpps never skips.
    public const int MaxRows = 5000;
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan QuietInterval = TimeSpan.FromSeconds(1);

    /// <param name="from">The first row wanted (e.g. <c>capture.Rows.Next</c> for only what comes, <c>Oldest</c> for the history kept).</param>
    public static async IAsyncEnumerable<CaptureBatch> ReadAsync(LiveCapture capture, long from,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = from;
        var next = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                quiet.CancelAfter(QuietInterval);
                try
                {
                    await capture.Rows.WaitAsync(cursor, quiet.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
            var batch = capture.Rows.Read(cursor, MaxRows, newestFirst: true);
            cursor = batch.Next;
            yield return new CaptureBatch(capture.Key.DisplayName, batch.Items, batch.Missed, capture.Stats);
            // A fixed cadence, not a fixed pause: the time spent delivering a batch counts toward the 100 ms.
            next += MinInterval;
            var wait = next - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, cancellationToken);
            else
                next = DateTime.UtcNow;
        }
    }
}

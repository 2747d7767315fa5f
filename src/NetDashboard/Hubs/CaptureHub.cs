using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;

namespace NetDashboard.Hubs;

/// <summary>
/// Live captures for clients outside the dashboard's pages (the panes read the same <see cref="CaptureFeed"/>):
/// <c>Stream(lab, ns, iface, filter)</c> streams <see cref="CaptureBatch"/>es, at most ten a second, each bounded;
/// a slow client skips ahead and is told how many rows it missed. Viewers of one interface and filter share one
/// libpcap handle, closed when the last stream ends. Behind the dashboard's sign-in (Bearer token or session).
/// </summary>
public sealed class CaptureHub(LabService labs) : Hub
{
    public const string Path = "/hubs/captures";

    /// <param name="ns">host, wan or pc.</param>
    /// <param name="iface">An interface of that namespace, e.g. tap0.</param>
    /// <param name="filter">A BPF expression, compiled in the kernel; empty for everything.</param>
    public async IAsyncEnumerable<CaptureBatch> Stream(string lab, string ns, string iface, string? filter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var opening = await labs.OpenCaptureAsync(lab, ns, iface, filter, cancellationToken);
        if (opening.Lease is not { } lease)
            throw new HubException(opening.Result.Message);
        await using (lease)
        {
            await foreach (var batch in CaptureFeed.ReadAsync(lease.Capture, lease.Capture.Rows.Next, cancellationToken))
                yield return batch;
        }
    }
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;

namespace NetDashboard.Hubs;

/// <summary>
/// Live captures for clients outside the dashboard's pages (the panes read the same <see cref="ICaptureLease"/>):
/// <c>Stream(lab, ns, iface, filter)</c> streams <see cref="CaptureBatch"/>es, at most ten a second, each bounded;
/// a slow client skips ahead and is told how many rows it missed. Viewers of one interface and filter share one
/// libpcap handle, closed when the last stream ends. A connection holds at most
/// <see cref="CaptureOptions.MaxStreamsPerConnection"/> streams, a lab at most
/// <see cref="CaptureOptions.MaxCapturesPerLab"/> captures. Behind the dashboard's sign-in (Bearer token or session).
/// </summary>
public sealed class CaptureHub(LabService labs, HubStreamCount streams) : Hub
{
    public const string Path = "/hubs/captures";

    /// <param name="ns">host, wan or pc.</param>
    /// <param name="iface">An interface of that namespace, e.g. tap0.</param>
    /// <param name="filter">A BPF expression, compiled in the kernel; empty for everything.</param>
    public async IAsyncEnumerable<CaptureBatch> Stream(string lab, string ns, string iface, string? filter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var slot = streams.TryOpen(Context.ConnectionId) ?? throw new HubException(
            $"this connection has {streams.MaxPerConnection} capture streams open, the most allowed "
            + $"(NetDashboard:{CaptureOptions.Section}:{nameof(CaptureOptions.MaxStreamsPerConnection)}); end one before opening another");
        var opening = await labs.OpenCaptureAsync(lab, ns, iface, filter, cancellationToken);
        if (opening.Lease is not { } lease)
            throw new HubException(opening.Result.Message);
        await using (lease)
        {
            await foreach (var batch in lease.ReadAsync(lease.Next, cancellationToken))
                yield return batch;
        }
    }
}

/// <summary>The capture streams each hub connection holds open, so one client cannot open them without end.</summary>
public sealed class HubStreamCount(int maxPerConnection)
{
    private readonly Dictionary<string, int> _open = [];
    private readonly Lock _gate = new();

    public int MaxPerConnection { get; } = maxPerConnection;

    /// <summary>A stream's place on the connection, or null when it holds the most allowed; dispose it when the stream ends.</summary>
    public IDisposable? TryOpen(string connectionId)
    {
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(connectionId);
            if (open >= MaxPerConnection) return null;
            _open[connectionId] = open + 1;
        }
        return new Place(this, connectionId);
    }

    private void Close(string connectionId)
    {
        lock (_gate)
        {
            // The last one removes the entry: a connection that ended leaves nothing behind.
            if (--_open[connectionId] == 0) _open.Remove(connectionId);
        }
    }

    private sealed class Place(HubStreamCount owner, string connectionId) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) owner.Close(connectionId);
        }
    }
}

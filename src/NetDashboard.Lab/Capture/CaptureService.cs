using NetDashboard.Lab.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture.Correlation;
using SharpPcap.LibPcap;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// The registry of live captures: one <see cref="LiveCapture"/> (one libpcap handle) per key, shared by every lease of
/// that key and closed when the last lease is released. Names are checked and the filter compiled before anything
/// opens. Register it as a singleton; disposing it closes every capture.
/// </summary>
public sealed class CaptureService : IAsyncDisposable
{
    private readonly Dictionary<CaptureKey, Entry> _captures = [];
    // One per lab with a capture open: the correlator links the same packet across the lab's interfaces (~4 MB at its
    // default capacity, so it goes with the lab's last capture), fed NAT's mappings by the lab's conntrack events.
    private readonly Dictionary<string, LabCorrelation> _correlators = [];

    private sealed record LabCorrelation(PacketCorrelator Correlator, ConntrackFollower? Conntrack);
    private readonly Lock _gate = new();
    private readonly ILogger<CaptureService> _logger;
    private readonly HandleCounter _handles = new();
    private bool _disposed;

    private sealed class Entry(LiveCapture capture)
    {
        public LiveCapture Capture { get; } = capture;
        public int Leases { get; set; }
    }

    public CaptureService(IOptions<CaptureOptions> options, ILogger<CaptureService> logger)
    {
        Options = CaptureOptionsValidator.Checked(options.Value);
        _logger = logger;
    }

    public CaptureOptions Options { get; }

    /// <summary>libpcap handles open right now, across all captures.</summary>
    public int OpenHandles => _handles.Open;

    /// <summary>libpcap handles opened since the service started (a reopening after an interface came back counts).</summary>
    public long HandlesOpened => _handles.Total;

    public IReadOnlyList<LiveCapture> Captures
    {
        get { lock (_gate) return [.. _captures.Values.Select(e => e.Capture)]; }
    }

    /// <summary>
    /// A lease on the capture of <paramref name="key"/>, opening it if nobody else has. Returns once the first attempt
    /// to open the handle has ended: the capture is then Running, InterfaceGone (it will retry) or Failed.
    /// </summary>
    /// <exception cref="CaptureException">A name breaks a rule or the filter does not compile; nothing was opened.</exception>
    /// <exception cref="Model.LabLimitException">The lab has <see cref="CaptureOptions.MaxCapturesPerLab"/> other captures open.</exception>
    public async Task<CaptureLease> AcquireAsync(CaptureKey key, CancellationToken cancellationToken = default)
    {
        Check(key);
        LiveCapture capture;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_captures.TryGetValue(key, out var entry))
            {
                if (_captures.Keys.Count(k => k.Lab == key.Lab) >= Options.MaxCapturesPerLab)
                    throw new Model.LabLimitException(
                        $"lab {key.Lab} has {Options.MaxCapturesPerLab} captures open (one per interface and filter), the most allowed "
                        + $"(NetDashboard:{CaptureOptions.Section}:{nameof(CaptureOptions.MaxCapturesPerLab)}); close a pane or stream, or watch an interface and filter already open");
                entry = new Entry(new LiveCapture(key, Options, _logger, _handles, Options.Correlate ? CorrelationOf(key.Lab).Correlator : null));
                _captures.Add(key, entry);
                entry.Capture.Start();
            }
            entry.Leases++;
            capture = entry.Capture;
        }
        var lease = new CaptureLease(this, capture);
        try
        {
            await capture.FirstAttempt.WaitAsync(cancellationToken);
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }
        return lease;
    }

    // Under _gate.
    private LabCorrelation CorrelationOf(string lab)
    {
        if (!_correlators.TryGetValue(lab, out var correlation))
        {
            var correlator = new PacketCorrelator();
            // This host's NAT is not followed (yet): its conntrack is the observed namespace's, not a lab's host.
            correlation = new LabCorrelation(correlator, lab == CaptureKey.ThisHost ? null : new ConntrackFollower(new Model.LabNamespaces(lab).Host, correlator, _logger));
            _correlators.Add(lab, correlation);
        }
        return correlation;
    }

    /// <summary>
    /// Captures for <paramref name="duration"/> (at most <see cref="CaptureOptions.MaxCaptureSeconds"/>) and returns
    /// the packets seen meanwhile, for a pcapng download. Shares the handle with any pane open on the same key.
    /// </summary>
    public async Task<CaptureSnapshot> CaptureForAsync(CaptureKey key, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromSeconds(Options.MaxCaptureSeconds))
            throw new CaptureException($"a capture lasts from 1 to {Options.MaxCaptureSeconds} seconds");
        await using var lease = await AcquireAsync(key, cancellationToken);
        var from = lease.Capture.Rows.Next;
        await Task.Delay(duration, cancellationToken);
        await lease.Capture.DrainedAsync(TimeSpan.FromSeconds(1), cancellationToken);
        return lease.Capture.Snapshot(from);
    }

    /// <summary>The path of a packet (a row's <see cref="PacketRow.Group"/>) across the lab's open captures, while it is remembered.</summary>
    public PacketJourney? Journey(string lab, long group)
    {
        LabCorrelation? correlation;
        lock (_gate) _correlators.TryGetValue(lab, out correlation);
        return group == 0 ? null : correlation?.Correlator.Journey(group);
    }

    /// <summary>On how many of the lab's open captures the packet was seen (1 when only here, 0 when forgotten).</summary>
    public int SeenOn(string lab, long group)
    {
        LabCorrelation? correlation;
        lock (_gate) _correlators.TryGetValue(lab, out correlation);
        return group == 0 || correlation is null ? 0 : correlation.Correlator.InterfaceCount(group);
    }

    /// <summary>The lab's connection tracking (NAT entries), followed while it has a capture open; null otherwise.</summary>
    public ConntrackFollower? ConntrackOf(string lab)
    {
        lock (_gate) return _correlators.TryGetValue(lab, out var correlation) ? correlation.Conntrack : null;
    }

    /// <summary>Null when libpcap compiles <paramref name="filter"/>, else its compiler's message.</summary>
    public static string? CheckFilter(string filter) =>
        filter.Length == 0 || PcapDevice.CheckFilter(filter, out var error) ? null : error ?? "the filter does not compile";

    private void Check(CaptureKey key)
    {
        var problems = key.Problems(Options.MaxFilterLength);
        if (problems.Count > 0)
            throw new CaptureException(string.Join(Environment.NewLine, problems));
        if (CheckFilter(key.Filter) is { } error)
            throw new CaptureException($"the filter '{key.Filter}' is not valid: {error}");
    }

    internal async ValueTask ReleaseAsync(LiveCapture capture)
    {
        LabCorrelation? ended = null;
        lock (_gate)
        {
            if (!_captures.TryGetValue(capture.Key, out var entry) || entry.Capture != capture)
                return; // the service closed it already
            if (--entry.Leases > 0)
                return;
            _captures.Remove(capture.Key);
            if (!_captures.Keys.Any(k => k.Lab == capture.Key.Lab) && _correlators.Remove(capture.Key.Lab, out var last))
                ended = last;
        }
        await capture.CloseAsync();
        if (ended?.Conntrack is not null) await ended.Conntrack.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        LiveCapture[] captures;
        LabCorrelation[] correlations;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            captures = [.. _captures.Values.Select(e => e.Capture)];
            _captures.Clear();
            correlations = [.. _correlators.Values];
            _correlators.Clear();
        }
        foreach (var capture in captures)
            await capture.CloseAsync();
        foreach (var correlation in correlations)
            if (correlation.Conntrack is not null) await correlation.Conntrack.DisposeAsync();
    }
}

/// <summary>A viewer's hold on a shared capture; disposing it releases the hold (once).</summary>
public sealed class CaptureLease : ICaptureLease
{
    private readonly CaptureService _service;
    private int _released;

    internal CaptureLease(CaptureService service, LiveCapture capture)
    {
        _service = service;
        Capture = capture;
    }

    public LiveCapture Capture { get; }

    public long Next => Capture.Rows.Next;

    public IAsyncEnumerable<CaptureBatch> ReadAsync(long from, CancellationToken cancellationToken) => CaptureFeed.ReadAsync(Capture, from, cancellationToken);

    public PacketDetail? Detail(long sequence) => Capture.Detail(sequence);

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? _service.ReleaseAsync(Capture) : ValueTask.CompletedTask;
}

/// <summary>Counts libpcap handles, so sharing and closing can be seen from outside.</summary>
internal sealed class HandleCounter
{
    private int _open;
    private long _total;

    public int Open => Volatile.Read(ref _open);
    public long Total => Interlocked.Read(ref _total);

    public void Opened()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _total);
    }

    public void Closed() => Interlocked.Decrement(ref _open);
}

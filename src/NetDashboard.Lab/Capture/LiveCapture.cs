using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;
using Microsoft.Extensions.Logging;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

using NetDashboard.Lab.Capture.Correlation;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// One live capture, shared by every viewer of its <see cref="CaptureKey"/>: one libpcap handle opened inside the
/// lab's namespace, a decoding worker, the rows (in <see cref="Rows"/>, read in batches) and the packets' bytes.
/// It survives its interface: when the interface goes away it says so and reopens it when it is back.
/// Made and closed by <see cref="CaptureService"/>.
/// </summary>
public sealed partial class LiveCapture
{
    private readonly CaptureOptions _options;
    private readonly ILogger _logger;
    private readonly HandleCounter _handles;
    private readonly PacketSlotRing _slots;
    private readonly PacketStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _workerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SlotBatchHandler _decode;
    // The decoding worker's scratch for one batch: the rows' numbers, and what the correlator made of each packet.
    private readonly long[] _batchSequences = new long[DecodeBatch];
    private readonly ObservedPacket[] _batchPackets;
    private readonly PacketCorrelation[] _batchLinks = new PacketCorrelation[DecodeBatch];
    private readonly PacketCorrelator? _correlator;
    // tcpdump's relative sequence numbers are kept per conversation across packets: the worker's, for this capture.
    private readonly TcpSequences _tcp = new();
    // The correlator's name for this capture: a second capture of the interface with another filter sees the same
    // packets on the same interface, from another source.
    private readonly InterfaceRef _interfaceKey;
    private readonly string _correlationKey;
    private Task _supervisor = Task.CompletedTask;
    private volatile bool _workerStopping;
    private volatile int _linkType = (int)LinkLayers.Ethernet;
    private volatile CaptureStats _stats;
    private long _seen;

    /// <summary>Packets decoded per batch: the correlator's lock is taken once for them.</summary>
    private const int DecodeBatch = 256;

    internal LiveCapture(CaptureKey key, CaptureOptions options, ILogger logger, HandleCounter handles, PacketCorrelator? correlator = null)
    {
        Key = key;
        _correlator = correlator;
        // This host's namespaces all hold an eth0 or a lo: its hops are told apart by the namespace they were seen in.
        _interfaceKey = key.Ref ?? new InterfaceRef(NamespaceRole.Host, key.IsThisHost ? HostInterface.HopName(key.Interface, key.Namespace) : key.Interface);
        _correlationKey = key.Filter.Length == 0 ? key.DisplayName : $"{key.DisplayName} [{key.Filter}]";
        _options = options;
        _logger = logger;
        _handles = handles;
        _slots = new PacketSlotRing(options.RingSlots, options.Snaplen);
        _store = new PacketStore(options.MaxRows, options.MaxBytes);
        Rows = new EventRing<PacketRow>(options.MaxRows);
        _batchPackets = correlator is null ? [] : new ObservedPacket[DecodeBatch];
        _decode = Decode;
        _stats = new CaptureStats(CaptureState.Opening, null, 0, 0, 0, 0);
    }

    public CaptureKey Key { get; }

    /// <summary>The rows in kernel order, numbered like <see cref="PacketRow.Sequence"/>; read with ReadBatchesAsync.</summary>
    public EventRing<PacketRow> Rows { get; }

    /// <summary>The state and counters; packets seen and ring drops are live, the rest at most a second old.</summary>
    public CaptureStats Stats => _stats with { PacketsSeen = Interlocked.Read(ref _seen), RingDrops = _slots.Drops };

    /// <summary>The link type of the interface (Ethernet for taps, bridges and veths).</summary>
    public LinkLayers LinkType => (LinkLayers)_linkType;

    /// <summary>A row's decoded layers and hex dump, from its stored bytes; null once they are forgotten.</summary>
    public PacketDetail? Detail(long sequence) =>
        _store.Get(sequence) is { } packet ? PacketDetails.Decode(sequence, packet.Data, LinkType) : null;

    /// <summary>The stored packets from <paramref name="fromSequence"/> on, ordered by kernel timestamp, each with its row's group and flow, for pcapng.</summary>
    public CaptureSnapshot Snapshot(long fromSequence = 0)
    {
        var packets = _store.From(fromSequence);
        if (packets.Count > 0)
        {
            // The links are in the rows (numbered like the packets), not the store: the hot path stores before it correlates.
            var rows = Rows.Read(packets.Min(p => p.Sequence), packets.Count).Items.ToDictionary(r => r.Sequence);
            packets = [.. packets.Select(p => rows.TryGetValue(p.Sequence, out var row) && row.Group != 0 ? p with { Group = row.Group, Flow = row.Flow } : p)];
        }
        return new(Key.DisplayName, (int)LinkType, _options.Snaplen, packets);
    }

    /// <summary>Completes once the first attempt to open the handle has ended, however it ended.</summary>
    internal Task FirstAttempt => _firstAttempt.Task;

    internal void Start()
    {
        // On the thread pool between batches, not a thread of its own: a lab may hold many captures, mostly idle.
        _ = Task.Run(DecodeLoopAsync);
        _supervisor = SuperviseAsync(_stop.Token);
    }

    /// <summary>Completes when every packet the callback has handed over so far is decoded into a row.</summary>
    internal async Task DrainedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_slots.IsEmpty && DateTime.UtcNow < deadline)
            await Task.Delay(10, cancellationToken);
    }

    /// <summary>Stops the capture on its handle, closes it and ends the worker.</summary>
    internal async ValueTask CloseAsync()
    {
        await _stop.CancelAsync();
        await _supervisor;
        _workerStopping = true;
        _slots.Wake();
        await _workerDone.Task;
        _slots.Dispose();
        _stop.Dispose();
        SetState(CaptureState.Closed, null);
    }

    // The hot path, on SharpPcap's capture thread: copy into a slot and return. No allocation of ours
    // (GetPacket would copy into a new RawCapture; the span is read in place).
    private void OnPacketArrival(object sender, PacketCapture e)
    {
        Interlocked.Increment(ref _seen);
        var wireLength = e.Header is PcapHeader header ? (int)header.PacketLength : e.Data.Length;
        var micros = (long)(e.Header.Timeval.Value * 1_000_000m);
        _slots.Write(e.Data, micros, wireLength);
    }

    private async Task DecodeLoopAsync()
    {
        try
        {
            while (!_workerStopping)
            {
                try
                {
                    if (_slots.Drain(_decode, DecodeBatch) == 0)
                        await _slots.WaitAsync(TimeSpan.FromMilliseconds(200));
                }
                catch (Exception e)
                {
                    // Summaries never throw; this is a bug, and the capture goes on without the batch's packets.
                    LogWorkerFailed(Key, e);
                }
            }
        }
        finally
        {
            _workerDone.TrySetResult();
        }
    }

    private void Decode(SlotBatch batch)
    {
        var correlate = _correlator is not null && LinkType == LinkLayers.Ethernet;
        for (var i = 0; i < batch.Count; i++)
        {
            var packet = batch[i];
            _batchSequences[i] = _store.Add(packet.Bytes, packet.TimestampMicros, packet.WireLength);
            if (correlate)
                _batchPackets[i] = ObservedPacket.Read(_batchSequences[i], packet.TimestampMicros, packet.Bytes);
        }
        var links = _batchLinks.AsSpan(0, batch.Count);
        if (correlate)
            _correlator!.Observe(_interfaceKey, _correlationKey, _batchPackets.AsSpan(0, batch.Count), links);
        else
            links.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            var packet = batch[i];
            Rows.Append(PacketSummarizer.Summarize(_batchSequences[i], packet.TimestampMicros, packet.WireLength, packet.Buffer, packet.Offset, packet.Length, LinkType, links[i], _tcp));
        }
    }

    private void SetState(CaptureState state, string? message) => _stats = _stats with { State = state, Message = message };

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture {Key}: the decoding worker failed")]
    private partial void LogWorkerFailed(CaptureKey key, Exception exception);
}

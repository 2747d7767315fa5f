using NetDashboard.Lab.Model;
namespace NetDashboard.Lab.Capture;

/// <summary>
/// The bytes of a capture's newest packets, for details and pcapng: at most <c>maxPackets</c> packets and
/// <c>maxBytes</c> bytes, the oldest forgotten first. The bytes live in one arena allocated once and written
/// in a circle, so keeping a packet allocates nothing. Packets are numbered like the rows, without gaps.
/// Thread-safe: the worker adds while viewers read.
/// </summary>
internal sealed class PacketStore
{
    private readonly byte[] _arena;
    private readonly Entry[] _entries;
    private readonly Lock _gate = new();
    private long _oldest; // sequence of the oldest packet held
    private long _next;   // sequence the next packet gets
    private int _write;   // arena offset where the next packet's bytes go

    private readonly record struct Entry(long TimestampMicros, int WireLength, int Offset, int Length);

    public PacketStore(int maxPackets, int maxBytes)
    {
        _entries = new Entry[maxPackets];
        // Not zeroed: only bytes written are read. Zeroing would make every capture's whole arena resident at once,
        // however few packets it sees.
        _arena = GC.AllocateUninitializedArray<byte>(maxBytes);
    }

    public long Oldest { get { lock (_gate) return _oldest; } }
    public long Next { get { lock (_gate) return _next; } }

    /// <summary>Keeps a packet's bytes and returns its sequence number.</summary>
    public long Add(ReadOnlySpan<byte> data, long timestampMicros, int wireLength)
    {
        if (data.Length > _arena.Length)
            data = data[.._arena.Length];
        lock (_gate)
        {
            if (_write + data.Length > _arena.Length)
            {
                // No room before the end: forget what lies there (the oldest) and wrap around.
                while (_oldest < _next && EntryOf(_oldest).Offset >= _write)
                    _oldest++;
                _write = 0;
            }
            // Forget the oldest packets whose bytes the new one overwrites, and the oldest beyond the count.
            while (_oldest < _next && EntryOf(_oldest) is var e && e.Offset >= _write && e.Offset < _write + data.Length)
                _oldest++;
            if (_next - _oldest >= _entries.Length)
                _oldest++;

            data.CopyTo(_arena.AsSpan(_write));
            var sequence = _next++;
            _entries[sequence % _entries.Length] = new Entry(timestampMicros, wireLength, _write, data.Length);
            _write += data.Length;
            return sequence;
        }
    }

    /// <summary>A copy of a packet still held, or null when it was forgotten (or never was).</summary>
    public StoredPacket? Get(long sequence)
    {
        lock (_gate)
            return sequence >= _oldest && sequence < _next ? Copy(sequence) : null;
    }

    /// <summary>Copies of the packets held from <paramref name="from"/> on, ordered by kernel timestamp.</summary>
    public IReadOnlyList<StoredPacket> From(long from)
    {
        StoredPacket[] packets;
        lock (_gate)
        {
            var start = Math.Max(from, _oldest);
            packets = new StoredPacket[Math.Max(0, _next - start)];
            for (var i = 0; i < packets.Length; i++)
                packets[i] = Copy(start + i);
        }
        // Stable: packets with equal timestamps keep their arrival order.
        return [.. packets.OrderBy(p => p.TimestampMicros)];
    }

    private Entry EntryOf(long sequence) => _entries[sequence % _entries.Length];

    private StoredPacket Copy(long sequence)
    {
        var e = EntryOf(sequence);
        return new StoredPacket(sequence, e.TimestampMicros, e.WireLength, _arena.AsSpan(e.Offset, e.Length).ToArray());
    }
}

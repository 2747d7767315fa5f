namespace NetDashboard.Lab.Capture;

/// <summary>
/// The hand-off between the capture callback (one producer) and the decoding worker (one consumer): fixed slots
/// of snap-length bytes allocated once, so the callback only copies and returns. When the worker falls behind
/// and every slot is taken, the packet is dropped and counted rather than the callback waiting.
/// </summary>
internal sealed class PacketSlotRing : IDisposable
{
    private readonly byte[] _bytes;
    private readonly long[] _timestamps;
    private readonly int[] _wireLengths;
    private readonly int[] _capturedLengths;
    private readonly int _slotSize;
    private readonly SemaphoreSlim _wake = new(0);
    private long _head; // next slot the producer fills; written only by the producer
    private long _tail; // next slot the consumer reads; written only by the consumer
    private int _consumerSleeping;
    private long _drops;

    public PacketSlotRing(int slots, int slotSize)
    {
        _slotSize = slotSize;
        // Not zeroed, like the store's arena: a slot is read only after the producer wrote it.
        _bytes = GC.AllocateUninitializedArray<byte>(checked(slots * slotSize));
        _timestamps = new long[slots];
        _wireLengths = new int[slots];
        _capturedLengths = new int[slots];
    }

    public int Slots => _timestamps.Length;
    public long Drops => Interlocked.Read(ref _drops);
    public bool IsEmpty => Volatile.Read(ref _tail) == Interlocked.Read(ref _head);

    /// <summary>Producer: copies at most a slot's worth of <paramref name="data"/>. Allocates nothing.</summary>
    public void Write(ReadOnlySpan<byte> data, long timestampMicros, int wireLength)
    {
        var head = _head;
        if (head - Volatile.Read(ref _tail) >= Slots)
        {
            Interlocked.Increment(ref _drops);
            return;
        }
        var slot = (int)(head % Slots);
        var length = Math.Min(data.Length, _slotSize);
        data[..length].CopyTo(_bytes.AsSpan(slot * _slotSize, length));
        _timestamps[slot] = timestampMicros;
        _wireLengths[slot] = wireLength;
        _capturedLengths[slot] = length;
        // A full fence: the consumer must see the slot before the new head, and we must read its sleeping flag after.
        Interlocked.Exchange(ref _head, head + 1);
        if (Volatile.Read(ref _consumerSleeping) == 1 && Interlocked.Exchange(ref _consumerSleeping, 0) == 1)
            _wake.Release();
    }

    /// <summary>
    /// Consumer: hands the waiting slots, at most <paramref name="max"/>, to <paramref name="handle"/> as one batch
    /// and frees them all when it returns or throws (their bytes are valid until then): a batch that fails is not
    /// handed over again. Returns how many were handled.
    /// </summary>
    public int Drain(SlotBatchHandler handle, int max)
    {
        var tail = _tail;
        var count = (int)Math.Min(Interlocked.Read(ref _head) - tail, max);
        if (count <= 0)
            return 0;
        try
        {
            handle(new SlotBatch(this, tail, count));
        }
        finally
        {
            Volatile.Write(ref _tail, tail + count);
        }
        return count;
    }

    internal PacketSlot SlotAt(long index)
    {
        var slot = (int)(index % Slots);
        return new PacketSlot(_bytes, slot * _slotSize, _capturedLengths[slot], _timestamps[slot], _wireLengths[slot]);
    }

    /// <summary>Consumer: waits, holding no thread, until the producer writes or <paramref name="timeout"/> passes.</summary>
    public async Task WaitAsync(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _consumerSleeping, 1);
        if (!IsEmpty)
        {
            Volatile.Write(ref _consumerSleeping, 0);
            return;
        }
        await _wake.WaitAsync(timeout);
        Volatile.Write(ref _consumerSleeping, 0);
    }

    /// <summary>Wakes a sleeping consumer (to make it notice it should stop).</summary>
    public void Wake() => _wake.Release();

    public void Dispose() => _wake.Dispose();
}

/// <summary>Slots handed to the consumer at once, oldest first.</summary>
internal readonly struct SlotBatch
{
    private readonly PacketSlotRing _ring;
    private readonly long _first;

    internal SlotBatch(PacketSlotRing ring, long first, int count) => (_ring, _first, Count) = (ring, first, count);

    public int Count { get; }

    public PacketSlot this[int index] => (uint)index < (uint)Count ? _ring.SlotAt(_first + index) : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>One captured packet in its slot: <see cref="Length"/> bytes of <see cref="Buffer"/> from <see cref="Offset"/>.</summary>
internal readonly record struct PacketSlot(byte[] Buffer, int Offset, int Length, long TimestampMicros, int WireLength)
{
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(Offset, Length);
}

internal delegate void SlotBatchHandler(SlotBatch batch);

using System.Runtime.CompilerServices;

namespace NetDashboard.Lab.Runtime;

/// <summary>What a reader gets: the items since its cursor, how many it missed (forgotten or skipped), and its next cursor.</summary>
public sealed record EventBatch<T>(IReadOnlyList<T> Items, long Missed, long Next);

/// <summary>
/// A bounded ring of events numbered in order. Writers never block and never wait for readers: when the ring is
/// full the oldest item is forgotten. Each reader keeps its own cursor (a sequence number), so any number of
/// readers share one ring, and a reader that falls behind learns exactly how many items it missed.
/// The lab's events and the packet captures both publish through it.
/// </summary>
public sealed class EventRing<T>
{
    private readonly T[] _items;
    private readonly Lock _gate = new();
    private long _next;
    // Created only when a reader waits, so appending allocates nothing on a busy ring.
    private TaskCompletionSource? _waiter;

    public EventRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Capacity => _items.Length;

    /// <summary>The sequence number the next item will get; a new reader that wants only what comes starts here.</summary>
    public long Next
    {
        get { lock (_gate) return _next; }
    }

    /// <summary>The sequence number of the oldest item still held; a reader that wants the history starts here.</summary>
    public long Oldest
    {
        get { lock (_gate) return Math.Max(0, _next - _items.Length); }
    }

    /// <summary>Adds an item, forgetting the oldest when full, and wakes waiting readers. Returns its sequence number.</summary>
    public long Append(T item)
    {
        TaskCompletionSource? wake;
        long sequence;
        lock (_gate)
        {
            sequence = _next;
            _items[_next % _items.Length] = item;
            _next++;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
        return sequence;
    }

    /// <summary>
    /// Up to <paramref name="max"/> items from <paramref name="from"/> on. Items already forgotten count as missed;
    /// with <paramref name="newestFirst"/> a reader further behind than <paramref name="max"/> skips to the newest
    /// ones (a live view wants now, not a backlog), and the skipped ones count as missed too.
    /// </summary>
    public EventBatch<T> Read(long from, int max, bool newestFirst = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        lock (_gate)
        {
            var start = Math.Clamp(from, Math.Max(0, _next - _items.Length), _next);
            if (newestFirst && _next - start > max)
                start = _next - max;
            var count = (int)Math.Min(max, _next - start);
            var items = new T[count];
            for (var i = 0; i < count; i++)
                items[i] = _items[(start + i) % _items.Length];
            return new EventBatch<T>(items, Math.Max(0, start - from), start + count);
        }
    }

    /// <summary>Completes when an item numbered <paramref name="cursor"/> or later exists.</summary>
    public Task WaitAsync(long cursor, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_next > cursor) return Task.CompletedTask;
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Batches from <paramref name="from"/> on, at most one per <paramref name="minInterval"/> (10 a second at 100 ms),
    /// each at most <paramref name="maxBatch"/> items: the one path by which live data reaches a viewer.
    /// </summary>
    public async IAsyncEnumerable<EventBatch<T>> ReadBatchesAsync(long from, int maxBatch, TimeSpan minInterval, bool newestFirst,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = from;
        while (!cancellationToken.IsCancellationRequested)
        {
            await WaitAsync(cursor, cancellationToken);
            var batch = Read(cursor, maxBatch, newestFirst);
            cursor = batch.Next;
            yield return batch;
            await Task.Delay(minInterval, cancellationToken);
        }
    }
}

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// One at a time per key (a lab's traces, a VM's guest commands), in a bounded line: a caller who finds
/// <c>maxWaiting</c> already in line, or who waited longer than it was allowed, is refused with a
/// <see cref="Model.LabLimitException"/>; a caller who goes away (its token cancelled) leaves the line at once.
/// Within one process; another process (the CLI) meets the guest's agent or the lab's lock on its own.
/// </summary>
public sealed class TakingTurns<TKey>(int maxWaiting) where TKey : notnull
{
    private sealed class Line
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);
        /// <summary>The one whose turn it is and those waiting.</summary>
        public int Callers { get; set; }
    }

    private readonly Dictionary<TKey, Line> _lines = [];
    private readonly Lock _gate = new();

    /// <summary>Callers holding or waiting for a turn on <paramref name="key"/>.</summary>
    public int CallersOf(TKey key)
    {
        lock (_gate) return _lines.TryGetValue(key, out var line) ? line.Callers : 0;
    }

    /// <summary>Waits for the turn on <paramref name="key"/>; dispose the result to give it to the next caller.</summary>
    /// <param name="what">What takes turns, for the refusal: "traces of lab seed", "guest commands to vm1".</param>
    /// <exception cref="Model.LabLimitException">The line is full, or the turn did not come within <paramref name="wait"/>.</exception>
    public async Task<IDisposable> TakeAsync(TKey key, TimeSpan wait, string what, CancellationToken cancellationToken)
    {
        Line line;
        lock (_gate)
        {
            if (!_lines.TryGetValue(key, out line!))
                _lines[key] = line = new Line();
            if (line.Callers > maxWaiting)
                throw new Model.LabLimitException($"{what} run one at a time and {maxWaiting} already wait their turn; try again when one has finished");
            line.Callers++;
        }
        var taken = false;
        try
        {
            taken = await line.Turn.WaitAsync(wait, cancellationToken);
        }
        finally
        {
            if (!taken) Leave(key, line, release: false);
        }
        return taken
            ? new Turn(this, key, line)
            : throw new Model.LabLimitException($"{what} run one at a time and the turn did not come within {wait.TotalSeconds:0.#} s; try again when the one running has finished");
    }

    private void Leave(TKey key, Line line, bool release)
    {
        lock (_gate)
        {
            if (release) line.Turn.Release();
            if (--line.Callers == 0 && _lines.TryGetValue(key, out var current) && current == line)
            {
                _lines.Remove(key);
                line.Turn.Dispose();
            }
        }
    }

    private sealed class Turn(TakingTurns<TKey> owner, TKey key, Line line) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0)
                owner.Leave(key, line, release: true);
        }
    }
}

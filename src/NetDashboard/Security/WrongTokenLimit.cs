using System.Net;

namespace NetDashboard.Security;

/// <summary>
/// Wrong tokens per client (its address), at most <see cref="PerMinute"/> a minute; past that, every token the client
/// offers (the right one too: a guess must not be confirmed) gets 429 until the oldest wrong one is a minute old.
/// A 256-bit token cannot be guessed anyway; this keeps a script that tries from filling logs and CPU. Bounded: at
/// most <see cref="MaxClients"/> clients are remembered, the stalest forgotten first.
/// </summary>
public sealed class WrongTokenLimit(TimeProvider? clock = null)
{
    public const int PerMinute = 10;
    private const int MaxClients = 4096;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _wrong = [];
    private readonly Lock _gate = new();

    /// <summary>How long the client must wait before a token of its is looked at again; null when it need not.</summary>
    public TimeSpan? WaitFor(IPAddress? client)
    {
        if (client is null) return null;
        lock (_gate)
        {
            if (!_wrong.TryGetValue(client, out var times)) return null;
            Forget(times);
            return times.Count >= PerMinute ? times.Peek() + Window - _clock.GetUtcNow() : null;
        }
    }

    /// <summary>Counts a wrong token offered by <paramref name="client"/>.</summary>
    public void Wrong(IPAddress? client)
    {
        if (client is null) return;
        lock (_gate)
        {
            if (!_wrong.TryGetValue(client, out var times))
            {
                if (_wrong.Count >= MaxClients)
                    _wrong.Remove(_wrong.MinBy(c => c.Value.Count > 0 ? c.Value.Last() : DateTimeOffset.MinValue).Key);
                _wrong[client] = times = new Queue<DateTimeOffset>();
            }
            Forget(times);
            times.Enqueue(_clock.GetUtcNow());
            while (times.Count > PerMinute) times.Dequeue();
        }
    }

    /// <summary>The sentence of a 429.</summary>
    public static string Refusal(TimeSpan wait) =>
        $"more than {PerMinute} wrong tokens from this address within a minute: no token is looked at for {Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0} s";

    private void Forget(Queue<DateTimeOffset> times)
    {
        var now = _clock.GetUtcNow();
        while (times.Count > 0 && times.Peek() + Window <= now) times.Dequeue();
    }
}

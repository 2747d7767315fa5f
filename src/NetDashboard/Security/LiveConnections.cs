using System.Collections.Concurrent;

namespace NetDashboard.Security;

/// <summary>What a request signed in with: the token itself (Bearer) or a session (its id's hash).</summary>
public sealed record Credential(bool IsBearer, string Key)
{
    public static Credential Bearer(string token) => new(true, AccessToken.Fingerprint(token));

    public static Credential Session(string id) => new(false, SessionStore.HashOf(id));
}

/// <summary>
/// Every request in progress, by what it signed in with. Most end in milliseconds; a Blazor circuit, a capture hub
/// stream and a console relay live for hours on one request. When the token is replaced or a session ends (from this
/// process or another), a watcher aborts those opened with it within a quarter of a second: signing out ends what is
/// open, not only what comes next.
/// </summary>
public sealed class LiveConnections(AccessToken token, SessionStore sessions, ILogger<LiveConnections> logger) : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<HttpContext, Credential> _open = new();

    /// <summary>Tracks <paramref name="context"/> until the returned handle is disposed (when the request ends).</summary>
    public IDisposable Track(HttpContext context, Credential credential)
    {
        _open[context] = credential;
        return new Untrack(this, context);
    }

    /// <summary>How many requests are open now.</summary>
    public int Count => _open.Count;

    /// <summary>Aborts every open request whose credential no longer stands; returns how many.</summary>
    public int EndRevoked()
    {
        if (_open.IsEmpty) return 0;
        var tokenKey = AccessToken.Fingerprint(token.Current);
        var ended = 0;
        foreach (var (context, credential) in _open)
        {
            var stands = credential.IsBearer ? credential.Key == tokenKey : sessions.StillValid(credential.Key);
            if (stands || !_open.TryRemove(context, out _)) continue;
            context.Abort();
            ended++;
        }
        if (ended > 0) logger.LogInformation("Ended {Count} open connection(s) whose sign-in was revoked", ended);
        return ended;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                EndRevoked();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // A state file half-way through being replaced by hand: the next tick reads it whole.
                logger.LogWarning("Could not check open connections' sign-in: {Message}", e.Message);
            }
        }
    }

    private sealed class Untrack(LiveConnections owner, HttpContext context) : IDisposable
    {
        public void Dispose() => owner._open.TryRemove(context, out _);
    }
}

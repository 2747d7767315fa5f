using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NetDashboard.Security;

/// <summary>
/// The browsers signed in: each session is a random id (256 bits) that only its cookie holds, with a sliding expiry.
/// The state folder keeps their SHA-256 (file "sessions", 0600), so a copy of that file signs nobody in, and the
/// fingerprint of the token they were signed in with: replacing the token ends them all, as does
/// <see cref="RevokeAll"/> from any process (<c>netdash sessions --revoke-all</c>). The dashboard re-reads the file
/// when another process changed it.
/// </summary>
public sealed class SessionStore(string stateFolder, AccessToken token, TimeSpan lifetime, TimeProvider? clock = null)
{
    // A sliding expiry is written back at most this often: a request per second would otherwise rewrite the file per second.
    private static readonly TimeSpan RenewStep = TimeSpan.FromMinutes(5);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private (DateTime Written, long Length)? _stamp;
    private Sessions _sessions = new("", new Dictionary<string, DateTimeOffset>());

    public string FilePath { get; } = Path.Combine(stateFolder, "sessions");

    public TimeSpan Lifetime => lifetime;

    /// <summary>The sessions of the configured state folder, as the dashboard and the CLI both open them.</summary>
    public static SessionStore For(NetDashboard.Configuration.DashboardOptions options, AccessToken token) =>
        new(options.StateFolder, token, TimeSpan.FromHours(options.SessionHours));

    /// <summary>A new session for a browser that proved it holds the token; the id goes into its cookie only.</summary>
    public string Create()
    {
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Change(sessions => sessions.Expiries[HashOf(id)] = _clock.GetUtcNow() + lifetime);
        return id;
    }

    /// <summary>True when <paramref name="id"/> is a live session of the current token; its expiry slides forward.</summary>
    public bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 100) return false;
        var hash = HashOf(id);
        var now = _clock.GetUtcNow();
        DateTimeOffset expires;
        lock (_gate)
        {
            var current = Load();
            if (!current.Expiries.TryGetValue(hash, out expires) || expires <= now) return false;
        }
        if (now + lifetime - expires >= RenewStep)
            Change(sessions =>
            {
                if (sessions.Expiries.ContainsKey(hash)) sessions.Expiries[hash] = now + lifetime;
            });
        return true;
    }

    /// <summary>Whether the session whose hash is <paramref name="hash"/> still stands (for connections opened with it).</summary>
    public bool StillValid(string hash)
    {
        lock (_gate)
            return Load().Expiries.TryGetValue(hash, out var expires) && expires > _clock.GetUtcNow();
    }

    /// <summary>How many sessions are live, and when the last of them expires.</summary>
    public (int Count, DateTimeOffset? LastExpiry) Live()
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            var live = Load().Expiries.Values.Where(e => e > now).ToList();
            return (live.Count, live.Count > 0 ? live.Max() : null);
        }
    }

    /// <summary>Ends every session: browsers must sign in again. Returns how many were live.</summary>
    public int RevokeAll()
    {
        var ended = 0;
        Change(sessions =>
        {
            ended = sessions.Expiries.Values.Count(e => e > _clock.GetUtcNow());
            sessions.Expiries.Clear();
        });
        return ended;
    }

    /// <summary>The SHA-256 of a session id: what the file keeps and what connections are tracked by.</summary>
    public static string HashOf(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    // Read the newest file, change, write: two processes (the dashboard signing a browser in, the CLI revoking) never
    // undo each other's change, because each works on what the other wrote. The lock file serializes them.
    private void Change(Action<Sessions> change)
    {
        lock (_gate)
        {
            using var fileLock = TakeFileLock();
            _stamp = null;
            var sessions = Load();
            change(sessions);
            var now = _clock.GetUtcNow();
            foreach (var expired in sessions.Expiries.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                sessions.Expiries.Remove(expired);
            Write(sessions);
            _stamp = null;
        }
    }

    private Sessions Load()
    {
        var fingerprint = AccessToken.Fingerprint(token.Current);
        var file = new FileInfo(FilePath);
        var stamp = file.Exists ? (file.LastWriteTimeUtc, file.Length) : ((DateTime, long)?)null;
        if (_stamp != stamp || stamp is null)
        {
            _sessions = stamp is null ? new Sessions(fingerprint, new Dictionary<string, DateTimeOffset>()) : Parse(File.ReadAllLines(FilePath));
            _stamp = stamp;
        }
        // Sessions of another token (rotated, or the file replaced by hand) are none.
        if (_sessions.TokenFingerprint != fingerprint)
            _sessions = new Sessions(fingerprint, new Dictionary<string, DateTimeOffset>());
        return _sessions;
    }

    private static Sessions Parse(string[] lines)
    {
        var fingerprint = lines.Length > 0 && lines[0].StartsWith("token ", StringComparison.Ordinal) ? lines[0]["token ".Length..] : "";
        var expiries = new Dictionary<string, DateTimeOffset>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Split(' ') is [var hash, var expiry] && hash.Length == 64
                && long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                expiries[hash] = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        return new Sessions(fingerprint, expiries);
    }

    private void Write(Sessions sessions)
    {
        var text = new StringBuilder($"token {sessions.TokenFingerprint}\n");
        foreach (var (hash, expires) in sessions.Expiries)
            text.Append(CultureInfo.InvariantCulture, $"{hash} {expires.ToUnixTimeSeconds()}\n");
        StateFiles.WriteWhole(FilePath, text.ToString());
    }

    private FileStream TakeFileLock()
    {
        StateFiles.EnsureFolder(Path.GetDirectoryName(FilePath)!);
        // FileShare.None takes an exclusive flock; the other process holds it for a few milliseconds at most.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(FilePath + ".lock", new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(5);
            }
        }
    }

    /// <param name="Expiries">By the SHA-256 of each session id.</param>
    private sealed record Sessions(string TokenFingerprint, Dictionary<string, DateTimeOffset> Expiries);
}

using System.Security.Cryptography;
using System.Text;

namespace NetDashboard.Security;

/// <summary>
/// The dashboard's one secret: a random token (256 bits) in a root-only file, made at first start. Whoever holds it
/// may sign in. The session cookie holds a value derived from it, so replacing the token (<c>token --rotate</c>, from
/// any process) ends every session signed in with the old one. Comparisons take the same time whatever matches.
/// </summary>
public sealed class AccessToken(string stateFolder)
{
    private const string SessionPurpose = "netdashboard session v1";
    private readonly Lock _gate = new();
    private (DateTime Written, long Length, string Token, string Session)? _cached;

    public string FilePath { get; } = Path.Combine(stateFolder, "token");

    /// <summary>The token, made (0600, in a 0700 folder) when there is none yet; re-read when another process replaced it.</summary>
    public string Current => Load().Token;

    /// <summary>What a signed-in browser's cookie holds: derived from the token, useless once it changes.</summary>
    public string SessionValue => Load().Session;

    /// <summary>True when <paramref name="candidate"/> is the token.</summary>
    public bool Matches(string? candidate) => candidate is not null && SameText(candidate, Current);

    /// <summary>True when <paramref name="cookie"/> is the session value of the current token.</summary>
    public bool IsSession(string? cookie) => cookie is not null && SameText(cookie, SessionValue);

    /// <summary>Replaces the token: every link, script and session holding the old one stops working.</summary>
    public string Rotate()
    {
        lock (_gate)
        {
            Write(NewToken());
            _cached = null;
        }
        return Current;
    }

    /// <summary>The link that signs a browser in, e.g. http://127.0.0.1:5080/?token=….</summary>
    public string LoginLink(string baseUrl) => $"{baseUrl.TrimEnd('/')}/?token={Current}";

    private (DateTime Written, long Length, string Token, string Session) Load()
    {
        lock (_gate)
        {
            var file = new FileInfo(FilePath);
            if (!file.Exists)
            {
                Write(NewToken());
                file.Refresh();
            }
            if (_cached is { } cached && cached.Written == file.LastWriteTimeUtc && cached.Length == file.Length)
                return cached;
            var token = File.ReadAllText(FilePath).Trim();
            if (token.Length < 22)
                throw new InvalidOperationException($"{FilePath} holds no usable token; delete it and a new one is made at the next start");
            var session = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(SessionPurpose)))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
            _cached = (file.LastWriteTimeUtc, file.Length, token, session);
            return _cached.Value;
        }
    }

    private void Write(string token)
    {
        var folder = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Written whole under another name, then renamed: a reader sees the old token or the new one, never half.
        var temp = FilePath + ".new";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew,
                   Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            stream.Write(Encoding.ASCII.GetBytes(token + "\n"));
        }
        File.Move(temp, FilePath, overwrite: true);
    }

    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // Hashing first makes the comparison's time independent of where, or whether, the lengths differ.
    private static bool SameText(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}

using System.Security.Cryptography;
using System.Text;

namespace NetDashboard.Security;

/// <summary>
/// The dashboard's one secret: a random token (256 bits) in a root-only file, made at first start. Whoever holds it
/// may sign in (and gets a session of its own, see <see cref="SessionStore"/>). Replacing it (<c>token --rotate</c>,
/// from any process) ends every session and every Bearer use of the old one. Comparisons take the same time whatever matches.
/// </summary>
public sealed class AccessToken(string stateFolder)
{
    private readonly Lock _gate = new();
    private (DateTime Written, long Length, string Token)? _cached;

    public string FilePath { get; } = Path.Combine(stateFolder, "token");

    /// <summary>The token, made (0600, in a 0700 folder) when there is none yet; re-read when another process replaced it.</summary>
    public string Current => Load().Token;

    /// <summary>True when <paramref name="candidate"/> is the token.</summary>
    public bool Matches(string? candidate) => candidate is not null && SameText(candidate, Current);

    /// <summary>Replaces the token: every link, script and session holding the old one stops working.</summary>
    public string Rotate()
    {
        lock (_gate)
        {
            StateFiles.WriteWhole(FilePath, NewToken() + "\n");
            _cached = null;
        }
        return Current;
    }

    /// <summary>The link that signs a browser in, e.g. http://127.0.0.1:5080/?token=….</summary>
    public string LoginLink(string baseUrl) => $"{baseUrl.TrimEnd('/')}/?token={Current}";

    /// <summary>Names a token without revealing it: what sessions and connections record as the token they were opened with.</summary>
    public static string Fingerprint(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("netdashboard token v1\n" + token)));

    private (DateTime Written, long Length, string Token) Load()
    {
        lock (_gate)
        {
            var file = new FileInfo(FilePath);
            if (!file.Exists)
            {
                StateFiles.WriteWhole(FilePath, NewToken() + "\n");
                file.Refresh();
            }
            if (_cached is { } cached && cached.Written == file.LastWriteTimeUtc && cached.Length == file.Length)
                return cached;
            var token = File.ReadAllText(FilePath).Trim();
            if (token.Length < 22)
                throw new InvalidOperationException($"{FilePath} holds no usable token; delete it and a new one is made at the next start");
            _cached = (file.LastWriteTimeUtc, file.Length, token);
            return _cached.Value;
        }
    }

    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // Hashing first makes the comparison's time independent of where, or whether, the lengths differ.
    private static bool SameText(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}

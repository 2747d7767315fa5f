using NetDashboard.Lab.Model;
using System.Globalization;
using System.Net;

namespace NetDashboard.Security;

/// <summary>
/// Which local user opened a connection. A browser sends its cookie to every port of a host, and any local user can
/// listen on one, so a cookie (or a token) proves nothing about who replays it from this machine. The kernel knows:
/// the client's end of a TCP connection is a socket of this network namespace whose owner is in /proc/net/tcp and
/// tcp6 (the uid column of the row whose local address is the client's and whose remote address is ours).
/// </summary>
public sealed class LocalPeers
{
    private readonly string _procNet;

    /// <param name="allowed">The uids that may use the dashboard.</param>
    /// <param name="procNet">The folder of tcp and tcp6 (a test's recorded copy; /proc/net otherwise).</param>
    public LocalPeers(IReadOnlySet<int> allowed, string procNet = "/proc/net")
    {
        Allowed = allowed;
        _procNet = procNet;
    }

    public IReadOnlySet<int> Allowed { get; }

    /// <summary>
    /// The uid owning the client's socket when the client is on this machine, else null (a remote client, which the
    /// kernel does not know: such a dashboard belongs behind TLS).
    /// </summary>
    public int? OwnerOf(IPEndPoint client, IPEndPoint server)
    {
        foreach (var file in new[] { "tcp", "tcp6" })
        {
            var path = Path.Combine(_procNet, file);
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                if (RowOwner(line, client, server) is { } uid) return uid;
            }
        }
        return null;
    }

    /// <summary>The owner when <paramref name="line"/> is the client's socket of this connection.</summary>
    public static int? RowOwner(string line, IPEndPoint client, IPEndPoint server)
    {
        // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // A socket no process holds any more (closed, in TIME_WAIT) is listed with inode 0 and uid 0: a client that
        // sends and closes at once must not pass for root.
        if (fields.Length < 10 || fields[9] == "0") return null;
        return TryEndPoint(fields[1], out var local) && TryEndPoint(fields[2], out var remote)
               && Same(local, client) && Same(remote, server)
               && int.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            ? uid
            : null;
    }

    /// <summary>"0100007F:1F90" (IPv4, the address in the kernel's byte order) or the same with 32 hex digits (IPv6).</summary>
    public static bool TryEndPoint(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var colon = text.IndexOf(':');
        if (colon is not (8 or 32) || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
            return false;
        var bytes = new byte[colon / 2];
        // Each 32-bit word is printed as the host (little-endian) reads it: its bytes come out reversed.
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(text.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)) return false;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), value);
        }
        endPoint = new IPEndPoint(new IPAddress(bytes), port);
        return true;
    }

    private static bool Same(IPEndPoint a, IPEndPoint b) => a.Port == b.Port && Plain(a.Address).Equals(Plain(b.Address));

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// Root, the user who started the dashboard (through sudo: SUDO_UID), and the configured users (names or uids).
    /// A name this machine does not know is a problem to report, not a user to ignore.
    /// </summary>
    public static (IReadOnlySet<int> Uids, IReadOnlyList<string> Problems) AllowedUids(IEnumerable<string> configured, string? sudoUid, string passwd = "/etc/passwd")
    {
        // The dashboard runs as root (it builds namespaces), so root is the user who started it.
        var uids = new HashSet<int> { 0 };
        var problems = new List<string>();
        if (int.TryParse(sudoUid, NumberStyles.None, CultureInfo.InvariantCulture, out var sudo)) uids.Add(sudo);
        var users = UserNames.Users(passwd);
        foreach (var entry in configured.Select(c => c.Trim()).Where(c => c.Length > 0))
        {
            if (int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)) uids.Add(uid);
            else if (users.TryGetValue(entry, out var named)) uids.Add(named);
            else problems.Add($"NetDashboard:LocalUsers: '{entry}' is no user of this machine (not in {passwd}) and no uid");
        }
        return (uids, problems);
    }

    /// <summary>A uid's user name from /etc/passwd, or the number when it has none.</summary>
    public static string NameOf(int uid, string passwd = "/etc/passwd") => UserNames.NameOf(uid, passwd);
}

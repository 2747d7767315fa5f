using System.Net;
using NetDashboard.Security;

namespace NetDashboard.Component.Tests.Security;

/// <summary>Reading a connection's local user from /proc/net/tcp and tcp6 rows as this kernel writes them.</summary>
public sealed class LocalPeersTests : IDisposable
{
    // Recorded on this machine: the dashboard listens on 127.0.0.1:5080 (0x13D8); a client of uid 65534 connected from
    // port 0xA52A, one of root from 0xB4E7 over IPv6 (v4-mapped), and a closed client's row in TIME_WAIT.
    private const string Tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:13D8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42652 1 000000004694f916 100 0 0 10 0
           1: 0100007F:A52A 0100007F:13D8 01 00000000:00000000 00:00000000 00000000 65534        0 51234 1 0000000010d5de07 20 4 30 10 -1
           2: 0100007F:13D8 0100007F:A52A 01 00000000:00000000 00:00000000 00000000     0        0 51235 1 0000000010d5de08 20 4 30 10 -1
           3: 0100007F:C001 0100007F:13D8 06 00000000:00000000 03:000010CB 00000000     0        0 0 3 00000000ecced07e
        """;
    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0000000000000000FFFF00000100007F:B4E7 0000000000000000FFFF00000100007F:13D8 01 00000000:00000000 00:00000000 00000000     0        0 61000 1 00000000ecced07e
           1: 00000000000000000000000001000000:D000 00000000000000000000000001000000:13D8 01 00000000:00000000 00:00000000 00000000  1000        0 61001 1 00000000ecced07f
        """;

    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 0x13D8);
    private readonly string _procNet = Directory.CreateTempSubdirectory("netdash-procnet-").FullName;
    private readonly LocalPeers _peers;

    public LocalPeersTests()
    {
        File.WriteAllText(Path.Combine(_procNet, "tcp"), Tcp);
        File.WriteAllText(Path.Combine(_procNet, "tcp6"), Tcp6);
        _peers = new LocalPeers(new HashSet<int> { 0 }, _procNet);
    }

    [Fact]
    public void OwnerOf_ClientOfNobody_Is65534NotTheServersOwnRowOfTheSameConnection() =>
        Assert.Equal(65534, _peers.OwnerOf(new IPEndPoint(IPAddress.Loopback, 0xA52A), Server));

    [Fact]
    public void OwnerOf_V4MappedClientInTcp6_IsRoot() =>
        Assert.Equal(0, _peers.OwnerOf(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 0xB4E7), new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 0x13D8)));

    [Fact]
    public void OwnerOf_Ipv6LoopbackClient_IsItsUser() =>
        Assert.Equal(1000, _peers.OwnerOf(new IPEndPoint(IPAddress.IPv6Loopback, 0xD000), new IPEndPoint(IPAddress.IPv6Loopback, 0x13D8)));

    [Fact]
    public void OwnerOf_ClosedClientInTimeWait_IsNobodysNotRoot() =>
        Assert.Null(_peers.OwnerOf(new IPEndPoint(IPAddress.Loopback, 0xC001), Server));

    [Fact]
    public void OwnerOf_RemoteClientTheKernelHasNoSocketOf_IsNull() =>
        Assert.Null(_peers.OwnerOf(new IPEndPoint(IPAddress.Parse("10.0.0.7"), 40000), Server));

    [Theory]
    [InlineData("0100007F:1F90", "127.0.0.1", 8080)]
    [InlineData("0A0000C0:0050", "192.0.0.10", 80)]
    [InlineData("00000000000000000000000001000000:0016", "::1", 22)]
    public void TryEndPoint_KernelHex_AddressInNetworkOrderAndPort(string text, string address, int port)
    {
        Assert.True(LocalPeers.TryEndPoint(text, out var endPoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0100007F")]
    [InlineData("0100007F:ZZZZ")]
    [InlineData("GG00007F:0050")]
    [InlineData("0100007:0050")]
    public void TryEndPoint_NotAnEndPoint_False(string text) => Assert.False(LocalPeers.TryEndPoint(text, out _));

    [Fact]
    public void AllowedUids_RootSudoUidNamesAndNumbers_AndAnUnknownNameIsAProblem()
    {
        var passwd = Path.Combine(_procNet, "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nann:x:1000:1000::/home/ann:/bin/bash\n");

        var (uids, problems) = LocalPeers.AllowedUids(["nobody", "2000", "zed"], "1000", passwd);

        Assert.Equal(new HashSet<int> { 0, 1000, 2000, 65534 }, uids);
        Assert.Equal(["NetDashboard:LocalUsers: 'zed' is no user of this machine (not in " + passwd + ") and no uid"], problems);
        Assert.Equal("ann (uid 1000)", LocalPeers.NameOf(1000, passwd));
        Assert.Equal("uid 4242", LocalPeers.NameOf(4242, passwd));
    }

    public void Dispose() => Directory.Delete(_procNet, recursive: true);
}

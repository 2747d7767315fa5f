using NetDashboard.Lab.Model;
using System.Net;
using NetDashboard.Lab.Capture.Correlation;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class ConntrackLineTests
{
    private const string IcmpNew =
        "    [NEW] icmp     1 30 src=192.168.1.10 dst=203.0.113.5 type=8 code=0 id=1234 [UNREPLIED] src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=1234";

    private const string TcpListed =
        "tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 packets=3 bytes=180 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000 packets=2 bytes=112 [ASSURED] mark=0 use=1";

    private static ConntrackEntry Parse(string line)
    {
        Assert.True(ConntrackLine.TryParse(line, out var entry), line);
        return entry;
    }

    [Fact]
    public void TryParse_IcmpNewEvent_ReadsBothTuplesAndUnreplied()
    {
        var entry = Parse(IcmpNew);

        Assert.Equal(ConntrackEvent.New, entry.Event);
        Assert.Equal("icmp", entry.Protocol);
        Assert.Equal(1, entry.ProtocolNumber);
        Assert.Equal(30U, entry.TimeoutSeconds);
        Assert.Null(entry.State);
        Assert.True(entry.Unreplied);
        Assert.False(entry.Assured);
        Assert.Equal(IPAddress.Parse("192.168.1.10"), entry.Original.Source);
        Assert.Equal(new ConntrackIcmp(8, 0, 1234), entry.Original.Icmp);
        Assert.Equal(IPAddress.Parse("10.180.13.232"), entry.Reply.Destination);
        Assert.Equal(new ConntrackIcmp(0, 0, 1234), entry.Reply.Icmp);
        Assert.Null(entry.Original.SourcePort);
    }

    [Fact]
    public void TryParse_TcpListed_ReadsStatePortsCountersFlagsAndMark()
    {
        var entry = Parse(TcpListed);

        Assert.Equal(ConntrackEvent.Listed, entry.Event);
        Assert.Equal(6, entry.ProtocolNumber);
        Assert.Equal(431999U, entry.TimeoutSeconds);
        Assert.Equal("ESTABLISHED", entry.State);
        Assert.Equal((ushort)40000, entry.Original.SourcePort);
        Assert.Equal((ushort)80, entry.Original.DestinationPort);
        Assert.Equal(new ConntrackCounters(3, 180), entry.Original.Counters);
        Assert.Equal(new ConntrackCounters(2, 112), entry.Reply.Counters);
        Assert.Equal(IPAddress.Parse("203.0.113.5"), entry.Reply.Source);
        Assert.True(entry.Assured);
        Assert.False(entry.Unreplied);
        Assert.Equal(0U, entry.Mark);
        Assert.Null(entry.Original.Icmp);
    }

    [Fact]
    public void TryParse_ExtendedOutput_SkipsTheLayer3Protocol()
    {
        var entry = Parse("ipv4     2 " + TcpListed);
        Assert.Equal("tcp", entry.Protocol);
        Assert.Equal("ESTABLISHED", entry.State);
    }

    [Fact]
    public void TryParse_EventWithTimestamp_ReadsWhenConntrackPrintedIt()
    {
        var entry = Parse("[1700000000.012345]\t" + IcmpNew.TrimStart());
        Assert.Equal(1_700_000_000_012_345, entry.TimestampMicros);
        Assert.Equal(ConntrackEvent.New, entry.Event);
    }

    [Fact]
    public void TryParse_DestroyWithoutTimeoutOrState_Read()
    {
        var entry = Parse(" [DESTROY] udp      17 src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=53 packets=1 bytes=57 src=203.0.113.5 dst=10.180.13.232 sport=53 dport=1024 packets=1 bytes=73");

        Assert.Equal(ConntrackEvent.Destroy, entry.Event);
        Assert.Null(entry.TimeoutSeconds);
        Assert.Null(entry.State);
        Assert.Equal((ushort)1024, entry.Reply.DestinationPort);
    }

    [Fact]
    public void TryParse_ConnectionIdAfterIcmpReplyTuple_NotTakenForTheTupleId()
    {
        var entry = Parse("icmp     1 29 src=192.168.1.10 dst=203.0.113.5 type=8 code=0 id=7 src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=9 id=3845362176");
        Assert.Equal(9, entry.Reply.Icmp!.Value.Id);
    }

    [Fact]
    public void TryParse_KernelTimestampsAndUnknownTrailer_Skipped()
    {
        var entry = Parse(TcpListed + " [start=Mon Jan  1 00:00:00 2024] [stop=Mon Jan  1 00:00:05 2024] delta-time=5 zone=0 helper=ftp");
        Assert.True(entry.Assured);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.")]
    [InlineData("<?xml version=\"1.0\" encoding=\"utf-8\"?><conntrack>")]
    [InlineData("-A -t 431999 -u SEEN_REPLY,ASSURED -s 192.168.1.10 -d 203.0.113.5 -p tcp --sport 40000 --dport 80")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=70000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=+400 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=-1 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      17 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 99999999999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=0x7f.0.0.1 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000 src=1.2.3.4 dst=5.6.7.8")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 packets=3 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 packets=99999999999999999999999 bytes=1 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 sport=40001 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000 [ASSURED mark=0")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000 mark=4294967296")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10\0 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000 label=é")]
    [InlineData("tcp      6 431999 ESTABLISHED =1 src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("icmp     1 29 src=192.168.1.10 dst=203.0.113.5 type=8 code=0 src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=1")]
    [InlineData("icmp     1 29 src=192.168.1.10 dst=203.0.113.5 type=256 code=0 id=1 src=203.0.113.5 dst=10.180.13.232 type=0 code=0 id=1")]
    [InlineData("icmpv6   58 29 src=fe80::1 dst=fe80::2 type=128 code=0 id=1 src=fe80::2 dst=fe80::1 type=129 code=0 id=1")]
    [InlineData("ipv6     10 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=10.180.13.232 sport=80 dport=40000")]
    [InlineData("[NEW]")]
    [InlineData("[1700000000.1]\ttcp 6")]
    public void TryParse_HostileOrForeignLine_Refused(string? line)
    {
        Assert.False(ConntrackLine.TryParse(line, out var entry));
        Assert.Null(entry);
    }

    [Fact]
    public void TryParse_OverlongLineOrTooManyFields_Refused()
    {
        Assert.False(ConntrackLine.TryParse(TcpListed + new string(' ', ConntrackLine.MaxLineLength), out _));
        Assert.False(ConntrackLine.TryParse(TcpListed + string.Concat(Enumerable.Repeat(" use=1", 100)), out _));
        Assert.False(ConntrackLine.TryParse(TcpListed + " helper=" + new string('x', 300), out _));
    }

    [Fact]
    public void TryParse_MangledLines_NeverThrow()
    {
        var random = new Random(11);
        string[] seeds = [IcmpNew, TcpListed, "ipv4     2 " + TcpListed];
        const string alphabet = "=[] .\t0123456789srcdtpoyeiNEW-_\0é";
        for (var i = 0; i < 20_000; i++)
        {
            var line = seeds[i % seeds.Length].ToCharArray();
            for (var edits = random.Next(1, 6); edits > 0; edits--)
                line[random.Next(line.Length)] = alphabet[random.Next(alphabet.Length)];
            var text = new string(line, 0, random.Next(line.Length + 1));
            ConntrackLine.TryParse(text, out _);
        }
    }
}

using static NetDashboard.Lab.Tests.Capture.WireFrames;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>One packet of the corpus: what it is, its captured bytes and its length on the wire.</summary>
internal sealed record CorpusPacket(string Name, byte[] Data, int WireLength);

/// <summary>
/// The mixed traffic of a nat-pc lab, one packet of each kind issue 16 counted and more: ARP, pings, ICMP errors
/// with their inner headers, UDP, DNS questions and answers, DHCP, TCP handshakes with options and an HTTP GET,
/// fragments, IPv6 with extension headers, IGMP, MLDv2, VLAN tags, and truncated and malformed frames.
/// </summary>
internal static class TcpdumpCorpus
{
    private const string Guest = "192.168.1.10", Guest2 = "192.168.1.11", Gateway = "192.168.1.1", Server = "203.0.113.5",
        Uplink = "10.180.13.232", Guest6 = "fd00::10", Server6 = "2001:db8::5", LinkLocal = "fe80::5054:98ff:fe76:5430";

    public static IReadOnlyList<CorpusPacket> Build()
    {
        var packets = new List<CorpusPacket>();
        void Add(string name, byte[] data, int? wire = null) => packets.Add(new(name, data, wire ?? data.Length));

        // ARP: a request (target MAC zero, or broadcast as some stacks send), replies, and the 60-byte padded form.
        byte[] zero = [0, 0, 0, 0, 0, 0];
        Add("arp request", Ethernet(0x0806, Arp(1, Vm1, Guest, zero, Gateway), destination: Broadcast));
        Add("arp request, target mac broadcast", Ethernet(0x0806, Arp(1, Vm1, Guest, Broadcast, Gateway), destination: Broadcast));
        Add("arp request, target mac known", Ethernet(0x0806, Arp(1, Bridge, Gateway, Vm1, Guest), source: Bridge, destination: Vm1));
        Add("arp reply", Ethernet(0x0806, Arp(2, Bridge, Gateway, Vm1, Guest), source: Bridge, destination: Vm1));
        Add("arp reply, padded", Ethernet(0x0806, [.. Arp(2, Vm1, Guest, Bridge, Gateway), .. new byte[18]]));
        Add("arp request, padded", Ethernet(0x0806, [.. Arp(1, Vm1, Guest2, zero, Gateway), .. new byte[18]], destination: Broadcast));
        Add("gratuitous arp", Ethernet(0x0806, Arp(1, Vm1, Guest, zero, Guest), destination: Broadcast));

        // Pings: 10 exchanges to the server, 3 to the gateway, and a ping with 1000 bytes.
        for (ushort seq = 1; seq <= 10; seq++)
        {
            Add($"echo request {seq}", Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 513, seq, new byte[56]), id: (ushort)(0x4000 + seq)));
            Add($"echo reply {seq}", Ip4Frame(Server, Guest, Icmp, IcmpMessage(0, 0, 513, seq, new byte[56]), id: (ushort)(0x9000 + seq), flagsOffset: 0));
        }
        for (ushort seq = 1; seq <= 3; seq++)
        {
            Add($"echo request gateway {seq}", Ip4Frame(Guest2, Gateway, Icmp, IcmpMessage(8, 0, 7, seq, new byte[56])));
            Add($"echo reply gateway {seq}", Ip4Frame(Gateway, Guest2, Icmp, IcmpMessage(0, 0, 7, seq, new byte[56])));
        }
        Add("echo request nat'd", Ip4Frame(Uplink, Server, Icmp, IcmpMessage(8, 0, 2048, 1, new byte[56])));

        // ICMP errors carry the offending header: tcpdump names its destination and port.
        var probe = Ip4(Guest, Server, Udp, UdpDatagram(40001, 33434, new byte[32]), ttl: 1);
        var tcpProbe = Ip4(Guest, Server, Tcp, TcpSegment(40002, 81, 1, 0, Syn, 64240));
        var big = Ip4(Guest, Server, Udp, UdpDatagram(40003, 9000, new byte[1400]));
        Add("udp port unreachable", Ip4Frame(Server, Guest, Icmp, IcmpError(3, 3, probe), flagsOffset: 0));
        Add("udp port unreachable 33435", Ip4Frame(Server, Guest, Icmp, IcmpError(3, 3, Ip4(Guest, Server, Udp, UdpDatagram(40001, 33435, new byte[32])))));
        Add("tcp port unreachable", Ip4Frame(Server, Guest, Icmp, IcmpError(3, 3, tcpProbe)));
        Add("need to frag mtu 576", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 4, big, mtu: 576)));
        Add("need to frag mtu 1400", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 4, big, mtu: 1400)));
        Add("need to frag no mtu", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 4, big)));
        Add("net unreachable", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 0, probe)));
        Add("host unreachable", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 1, probe)));
        Add("protocol unreachable", Ip4Frame(Server, Guest, Icmp, IcmpError(3, 2, Ip4(Guest, Server, 132, new byte[8]))));
        Add("admin prohibited filter", Ip4Frame(Gateway, Guest, Icmp, IcmpError(3, 13, probe)));
        Add("time exceeded in transit", Ip4Frame(Gateway, Guest, Icmp, IcmpError(11, 0, probe)));
        Add("time exceeded in transit 2", Ip4Frame(Uplink, Guest, Icmp, IcmpError(11, 0, probe)));
        Add("reassembly time exceeded", Ip4Frame(Server, Guest, Icmp, IcmpError(11, 1, big)));
        Add("redirect host", Ip4Frame(Gateway, Guest, Icmp, [5, 1, 0, 0, 192, 168, 1, 2, .. probe[..28]]));
        Add("parameter problem", Ip4Frame(Gateway, Guest, Icmp, [12, 0, 0, 0, 20, 0, 0, 0, .. probe[..28]]));
        Add("source quench", Ip4Frame(Gateway, Guest, Icmp, IcmpError(4, 0, probe)));
        Add("timestamp request", Ip4Frame(Guest, Gateway, Icmp, IcmpMessage(13, 0, 9, 1, new byte[12])));

        // UDP: traceroute's probes, iperf-like datagrams, an empty one.
        for (ushort port = 33434; port < 33437; port++)
            Add($"traceroute probe {port}", Ip4Frame(Guest, Server, Udp, UdpDatagram(40001, port, new byte[32]), ttl: 1));
        foreach (var size in new[] { 0, 1, 64, 512, 1400 })
            Add($"udp {size} bytes", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[size])));
        Add("udp nat'd", Ip4Frame(Uplink, Server, Udp, UdpDatagram(1024, 9999, new byte[64])));

        AddDns(Add);
        AddDhcp(Add);
        AddTcp(Add);

        // IPv4 fragments: a UDP datagram and a ping in two pieces each, and a last piece alone.
        Add("udp first fragment", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[1472])[..1480], id: 0x77, flagsOffset: 0x2000, totalLength: 1500));
        Add("udp second fragment", Ip4Frame(Guest, Server, Udp, new byte[20], id: 0x77, flagsOffset: 1480 / 8));
        Add("ping first fragment", Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 99, 1, new byte[1472]), id: 0x78, flagsOffset: 0x2000));
        Add("ping second fragment", Ip4Frame(Guest, Server, Icmp, new byte[528], id: 0x78, flagsOffset: 1480 / 8));
        Add("tcp middle fragment", Ip4Frame(Guest, Server, Tcp, new byte[64], id: 0x79, flagsOffset: 0x2000 | 8));

        AddIpv6(Add);

        // IGMP: a v2 query, v2 and v3 reports, a leave.
        byte[] routerAlert = [0x94, 0x04, 0x00, 0x00];
        Add("igmp v2 query", Ip4Frame(Gateway, "224.0.0.1", Igmp, [0x11, 100, 0, 0, 0, 0, 0, 0], options: routerAlert, headerWords: 6, ttl: 1));
        Add("igmp v3 query", Ip4Frame(Gateway, "224.0.0.1", Igmp, [0x11, 100, 0, 0, 0, 0, 0, 0, 2, 125, 0, 0], options: routerAlert, headerWords: 6, ttl: 1));
        Add("igmp v2 report", Ip4Frame(Guest, "239.1.2.3", Igmp, [0x16, 0, 0, 0, 239, 1, 2, 3], options: routerAlert, headerWords: 6, ttl: 1));
        Add("igmp v3 report", Ip4Frame(Guest, "224.0.0.22", Igmp, [0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 239, 1, 2, 3], options: routerAlert, headerWords: 6, ttl: 1));
        Add("igmp leave", Ip4Frame(Guest, "224.0.0.2", Igmp, [0x17, 0, 0, 0, 239, 1, 2, 3], options: routerAlert, headerWords: 6, ttl: 1));

        // VLAN: tcpdump -n (without -e) prints what the tags carry.
        Add("vlan icmp", Vlan([10], 0x0800, Ip4(Guest, Server, Icmp, IcmpMessage(8, 0, 5, 1, new byte[56]))));
        Add("vlan arp", Vlan([10], 0x0806, [.. Arp(1, Vm1, Guest, zero, Gateway), .. new byte[14]]));
        Add("vlan udp", Vlan([20], 0x0800, Ip4(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[10]))));
        Add("qinq icmp", Vlan([100, 10], 0x0800, Ip4(Guest, Server, Icmp, IcmpMessage(0, 0, 5, 1, new byte[56])), tagType: 0x88a8));
        Add("vlan ipv6", Vlan([10], 0x86dd, Ip6(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 3, 1, new byte[8]))));

        // Other link-layer types: tcpdump prints the addresses and the type.
        Add("unknown ethertype", Ethernet(0x88b5, new byte[46]));
        Add("unknown ethertype 2", Ethernet(0x88b6, new byte[46], destination: Broadcast));

        AddMalformed(Add, routerAlert);
        return packets;
    }

    private static void AddDns(Action<string, byte[], int?> add)
    {
        void Dns(string name, string source, string destination, ushort sourcePort, ushort destinationPort, byte[] message) =>
            add(name, Ip4Frame(source, destination, Udp, UdpDatagram(sourcePort, destinationPort, message)), null);
        const ushort Query = 0x0100, Answer = 0x8180;

        Dns("dns query a", Guest, Gateway, 40000, 53, WireFrames.Dns(1234, Query, "example.com", 1));
        Dns("dns answer a", Gateway, Guest, 53, 40000, WireFrames.Dns(1234, Answer, "example.com", 1, answers: 1, records: Record(1, [93, 184, 216, 34])));
        Dns("dns query aaaa", Guest, Gateway, 40001, 53, WireFrames.Dns(1235, Query, "example.com", 28));
        Dns("dns answer aaaa", Gateway, Guest, 53, 40001, WireFrames.Dns(1235, Answer, "example.com", 28, answers: 1,
            records: Record(28, [0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0, 1, 0x2, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46])));
        Dns("dns query mx", Guest, Gateway, 40002, 53, WireFrames.Dns(1236, Query, "example.com", 15));
        Dns("dns answer mx", Gateway, Guest, 53, 40002, WireFrames.Dns(1236, Answer, "example.com", 15, answers: 2,
            records: [Record(15, [0, 10, .. Name("mail.example.com")]), Record(15, [0, 20, 4, (byte)'m', (byte)'x', (byte)'2', (byte)'b', 0xc0, 0x0c])]));
        Dns("dns query txt", Guest, Gateway, 40003, 53, WireFrames.Dns(1237, Query, "example.com", 16));
        Dns("dns answer txt", Gateway, Guest, 53, 40003, WireFrames.Dns(1237, Answer, "example.com", 16, answers: 1,
            records: Record(16, [11, .. Ascii("v=spf1 -all"), 5, .. Ascii("hello")])));
        Dns("dns query ptr", Guest, Gateway, 40004, 53, WireFrames.Dns(1238, Query, "5.113.0.203.in-addr.arpa", 12));
        Dns("dns answer ptr", Gateway, Guest, 53, 40004, WireFrames.Dns(1238, Answer, "5.113.0.203.in-addr.arpa", 12, answers: 1,
            records: Record(12, Name("server.example.net"))));
        Dns("dns query cname", Guest, Gateway, 40005, 53, WireFrames.Dns(1239, Query, "www.example.com", 1));
        Dns("dns answer cname and a", Gateway, Guest, 53, 40005, WireFrames.Dns(1239, Answer, "www.example.com", 1, answers: 2,
            records: [Record(5, [7, .. Ascii("example"), 3, .. Ascii("com"), 0]), [0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34]]));
        Dns("dns query ns", Guest, Gateway, 40006, 53, WireFrames.Dns(1240, Query, "example.com", 2));
        Dns("dns answer ns", Gateway, Guest, 53, 40006, WireFrames.Dns(1240, Answer, "example.com", 2, answers: 2,
            records: [Record(2, Name("a.iana-servers.net")), Record(2, Name("b.iana-servers.net"))]));
        Dns("dns query with edns", Guest, Gateway, 40007, 53, WireFrames.Dns(1241, Query, "example.org", 1, additional: 1, records: Opt()));
        Dns("dns answer with edns", Gateway, Guest, 53, 40007, WireFrames.Dns(1241, Answer, "example.org", 1, answers: 1, additional: 1,
            records: [Record(1, [93, 184, 216, 35]), Opt()]));
        Dns("dns query nxdomain", Guest, Gateway, 40008, 53, WireFrames.Dns(1242, Query, "nope.example", 1));
        Dns("dns answer nxdomain", Gateway, Guest, 53, 40008, WireFrames.Dns(1242, 0x8183, "nope.example", 1, authorities: 1,
            records: [0xc0, 0x11, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 24, 1, (byte)'a', 0xc0, 0x11, 1, (byte)'b', 0xc0, 0x11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]));
        Dns("dns answer with two questions", Gateway, Guest, 53, 40018, [.. WireFrames.Dns(1253, Answer, "example.com", 1)[..4], 0, 2, 0, 0, 0, 0, 0, 0,
            .. Name("example.com"), 0, 1, 0, 1, .. Name("example.net"), 0, 1, 0, 1]);
        Dns("dns answer servfail", Gateway, Guest, 53, 40009, WireFrames.Dns(1243, 0x8182, "broken.example", 1));
        Dns("dns answer refused", Gateway, Guest, 53, 40010, WireFrames.Dns(1244, 0x8185, "example.com", 1));
        Dns("dns answer authoritative", Gateway, Guest, 53, 40011, WireFrames.Dns(1245, 0x8580, "example.com", 1, answers: 1, records: Record(1, [93, 184, 216, 34])));
        Dns("dns answer two a", Gateway, Guest, 53, 40012, WireFrames.Dns(1246, Answer, "example.com", 1, answers: 2,
            records: [Record(1, [93, 184, 216, 34]), Record(1, [93, 184, 216, 35])]));
        Dns("dns query no recursion", Guest, Gateway, 40013, 53, WireFrames.Dns(1247, 0x0000, "example.com", 1));
        Dns("dns query srv", Guest, Gateway, 40014, 53, WireFrames.Dns(1248, Query, "_sip._udp.example.com", 33));
        Dns("dns answer srv", Gateway, Guest, 53, 40014, WireFrames.Dns(1248, Answer, "_sip._udp.example.com", 33, answers: 1,
            records: Record(33, [0, 10, 0, 60, 0x13, 0xc4, .. Name("sip.example.com")])));
        Dns("dns query any", Guest, Gateway, 40015, 53, WireFrames.Dns(1249, Query, "example.com", 255));
        Dns("dns answer soa", Gateway, Guest, 53, 40016, WireFrames.Dns(1250, Answer, "example.com", 6, answers: 1,
            records: Record(6, [1, (byte)'a', 0xc0, 0x0c, 1, (byte)'b', 0xc0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])));
        Dns("mdns query", LinkLocalV4, "224.0.0.251", 5353, 5353, WireFrames.Dns(0, 0, "printer.local", 1));
        Dns("dns answer truncated flag", Gateway, Guest, 53, 40017, WireFrames.Dns(1251, 0x8380, "example.com", 1));
        add("dns query over ipv6", Ip6Frame(Guest6, "fd00::1", Udp, UdpDatagram(40020, 53, WireFrames.Dns(1252, Query, "example.com", 28))), null);
        add("dns answer over ipv6", Ip6Frame("fd00::1", Guest6, Udp, UdpDatagram(53, 40020, WireFrames.Dns(1252, Answer, "example.com", 28, answers: 1,
            records: Record(28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5])))), null);
    }

    private const string LinkLocalV4 = "169.254.1.2";

    private static void AddDhcp(Action<string, byte[], int?> add)
    {
        byte[] Bootp(byte op)
        {
            var bytes = new byte[300];
            bytes[0] = op;
            bytes[1] = 1;
            bytes[2] = 6;
            Vm1.CopyTo(bytes, 28);
            return bytes;
        }
        add("dhcp discover", Ip4Frame("0.0.0.0", "255.255.255.255", Udp, UdpDatagram(68, 67, Bootp(1))), null);
        add("dhcp offer", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(67, 68, Bootp(2))), null);
        add("dhcp request", Ip4Frame("0.0.0.0", "255.255.255.255", Udp, UdpDatagram(68, 67, Bootp(1))), null);
        add("dhcp ack", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(67, 68, Bootp(2))), null);
    }

    private static void AddTcp(Action<string, byte[], int?> add)
    {
        // An HTTP exchange as curl and a web server make it: tcpdump numbers it relatively after the handshake.
        void Http(string name, string source, string destination, byte[] segment) =>
            add(name, Ip4Frame(source, destination, Tcp, segment), null);
        const uint C = 3_000_000_000, S = 1_000_000;
        var get = Ascii("GET / HTTP/1.1\r\nHost: 203.0.113.5\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
        var response = Ascii("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2000\r\n\r\n");
        Http("http syn", Guest, Server, TcpSegment(40100, 80, C, 0, Syn, 64240, SynOptions(1460, 100, 0, 7)));
        Http("http syn-ack", Server, Guest, TcpSegment(80, 40100, S, C + 1, Syn | Ack, 65160, SynOptions(1460, 900, 100, 7)));
        Http("http ack", Guest, Server, TcpSegment(40100, 80, C + 1, S + 1, Ack, 502, Timestamps(101, 900)));
        Http("http get", Guest, Server, TcpSegment(40100, 80, C + 1, S + 1, Psh | Ack, 502, Timestamps(101, 900), get));
        Http("http ack of get", Server, Guest, TcpSegment(80, 40100, S + 1, C + 1 + (uint)get.Length, Ack, 509, Timestamps(901, 101)));
        Http("http response", Server, Guest, TcpSegment(80, 40100, S + 1, C + 1 + (uint)get.Length, Psh | Ack, 509, Timestamps(902, 101), [.. response, .. new byte[200]]));
        var served = S + 1 + (uint)response.Length + 200;
        for (var i = 0; i < 3; i++)
        {
            Http($"http data {i}", Server, Guest, TcpSegment(80, 40100, served, C + 1 + (uint)get.Length, Ack, 509, Timestamps(903, 101), new byte[600]));
            served += 600;
            Http($"http data ack {i}", Guest, Server, TcpSegment(40100, 80, C + 1 + (uint)get.Length, served, Ack, 501, Timestamps(102, 903)));
        }
        Http("http dup ack with sack", Guest, Server, TcpSegment(40100, 80, C + 1 + (uint)get.Length, served, Ack, 501,
            [1, 1, 8, 10, .. BigEndian(103), .. BigEndian(903), 1, 1, 5, 10, .. BigEndian(served + 100), .. BigEndian(served + 300)]));
        Http("http client fin", Guest, Server, TcpSegment(40100, 80, C + 1 + (uint)get.Length, served, Fin | Ack, 501, Timestamps(104, 903)));
        Http("http server fin", Server, Guest, TcpSegment(80, 40100, served, C + 2 + (uint)get.Length, Fin | Ack, 509, Timestamps(904, 104)));
        Http("http last ack", Guest, Server, TcpSegment(40100, 80, C + 2 + (uint)get.Length, served + 1, Ack, 501, Timestamps(105, 904)));

        // A refused connection, a reset after data, urgent data, and ECN.
        add("syn to closed port", Ip4Frame(Guest, Server, Tcp, TcpSegment(40200, 81, 5000, 0, Syn, 64240, SynOptions(1460, 1, 0, 7))), null);
        add("rst-ack from closed port", Ip4Frame(Server, Guest, Tcp, TcpSegment(81, 40200, 0, 5001, Rst | Ack, 0)), null);
        add("plain rst", Ip4Frame(Guest, Server, Tcp, TcpSegment(40300, 443, 777, 0, Rst, 0)), null);
        add("urgent", Ip4Frame(Guest, Server, Tcp, TcpSegment(40400, 5001, 10, 20, Urg | Ack | Psh, 100, payload: [0xff, 0xf4], urgent: 1)), null);
        add("ecn syn", Ip4Frame(Guest, Server, Tcp, TcpSegment(40500, 443, 1, 0, Syn | 0x40 | 0x80, 64240, SynOptions(1460, 5, 0, 7))), null);
        add("no flags", Ip4Frame(Guest, Server, Tcp, TcpSegment(40600, 443, 1, 0, 0, 100)), null);

        // TLS on 443 over the uplink (NAT'd): no decoder in tcpdump for it, so only the TCP line.
        const uint T = 42, U = 7_000_000;
        void Tls(string name, string source, string destination, byte[] segment) => add(name, Ip4Frame(source, destination, Tcp, segment), null);
        Tls("tls syn", Uplink, Server, TcpSegment(50000, 443, T, 0, Syn, 64240, SynOptions(1460, 1, 0, 7)));
        Tls("tls syn-ack", Server, Uplink, TcpSegment(443, 50000, U, T + 1, Syn | Ack, 65160, SynOptions(1400, 2, 1, 9)));
        Tls("tls ack", Uplink, Server, TcpSegment(50000, 443, T + 1, U + 1, Ack, 502, Timestamps(2, 2)));
        Tls("tls client hello", Uplink, Server, TcpSegment(50000, 443, T + 1, U + 1, Psh | Ack, 502, Timestamps(3, 2), [0x16, 3, 1, 0, 200, .. new byte[200]]));
        for (var i = 0; i < 6; i++)
        {
            Tls($"tls server data {i}", Server, Uplink, TcpSegment(443, 50000, U + 1 + (uint)(i * 1388), T + 206, Ack, 509, Timestamps(10, 3), new byte[1388]));
            if (i % 2 == 1)
                Tls($"tls client ack {i}", Uplink, Server, TcpSegment(50000, 443, T + 206, U + 1 + (uint)((i + 1) * 1388), Ack, 501, Timestamps(4, 10)));
        }
        Tls("tls rst", Uplink, Server, TcpSegment(50000, 443, T + 206, 0, Rst, 0));

        // The same over IPv6: the relative numbers are kept per flow there too.
        void Tcp6(string name, string source, string destination, byte[] segment) => add(name, Ip6Frame(source, destination, Tcp, segment), null);
        Tcp6("ipv6 syn", Guest6, Server6, TcpSegment(41000, 8080, 11, 0, Syn, 64800, SynOptions(1440, 1, 0, 7)));
        Tcp6("ipv6 syn-ack", Server6, Guest6, TcpSegment(8080, 41000, 99, 12, Syn | Ack, 64260, SynOptions(1440, 2, 1, 7)));
        Tcp6("ipv6 ack", Guest6, Server6, TcpSegment(41000, 8080, 12, 100, Ack, 507, Timestamps(2, 2)));
        Tcp6("ipv6 get", Guest6, Server6, TcpSegment(41000, 8080, 12, 100, Psh | Ack, 507, Timestamps(3, 2), Ascii("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")));
        Tcp6("ipv6 response", Server6, Guest6, TcpSegment(8080, 41000, 100, 50, Psh | Ack, 502, Timestamps(4, 3), Ascii("HTTP/1.1 404 Not Found\r\n\r\n")));
        Tcp6("ipv6 fin", Guest6, Server6, TcpSegment(41000, 8080, 50, 127, Fin | Ack, 507, Timestamps(5, 4)));
    }

    private static void AddIpv6(Action<string, byte[], int?> add)
    {
        void Add(string name, byte[] data) => add(name, data, null);
        for (ushort seq = 1; seq <= 3; seq++)
        {
            Add($"ping6 request {seq}", Ip6Frame(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 17, seq, new byte[56])));
            Add($"ping6 reply {seq}", Ip6Frame(Server6, Guest6, Icmp6, IcmpMessage(129, 0, 17, seq, new byte[56])));
        }
        byte[] target = System.Net.IPAddress.Parse("fd00::1").GetAddressBytes();
        Add("neighbor solicitation", Ip6Frame(Guest6, "ff02::1:ff00:1", Icmp6, [135, 0, 0, 0, 0, 0, 0, 0, .. target, 1, 1, .. Vm1]));
        Add("neighbor advertisement", Ip6Frame("fd00::1", Guest6, Icmp6, [136, 0, 0, 0, 0x60, 0, 0, 0, .. target, 2, 1, .. Bridge]));
        Add("router solicitation", Ip6Frame(LinkLocal, "ff02::2", Icmp6, [133, 0, 0, 0, 0, 0, 0, 0, 1, 1, .. Vm1]));
        Add("router advertisement", Ip6Frame("fe80::1", "ff02::1", Icmp6, [134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]));
        Add("udp over ipv6", Ip6Frame(Guest6, Server6, Udp, UdpDatagram(40000, 9999, new byte[100])));
        Add("udp over ipv6 empty", Ip6Frame(Guest6, Server6, Udp, UdpDatagram(40000, 9999, [])));
        Add("ipv6 destination unreachable", Ip6Frame("fd00::1", Guest6, Icmp6, [1, 4, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Udp, UdpDatagram(40000, 9999, new byte[8]))]));
        Add("ipv6 port unreachable quoting a first fragment", Ip6Frame("fd00::1", Guest6, Icmp6,
            [1, 4, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Fragment6, Fragment6Header(Udp, 0, true, 5, UdpDatagram(40000, 9999, new byte[8])))]));
        Add("ipv6 port unreachable quoting icmpv6", Ip6Frame("fd00::1", Guest6, Icmp6, [1, 4, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 1, 1))]));
        Add("ipv6 beyond scope", Ip6Frame("fd00::1", Guest6, Icmp6, [1, 2, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Udp, UdpDatagram(40000, 9999, new byte[8]))]));
        Add("ipv6 parameter problem", Ip6Frame("fd00::1", Guest6, Icmp6, [4, 1, 0, 0, 0, 0, 0, 40, .. Ip6(Guest6, Server6, 253, new byte[8])]));
        Add("ipv6 time exceeded", Ip6Frame("fd00::1", Guest6, Icmp6, [3, 0, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Udp, UdpDatagram(40000, 33434, new byte[8]))]));
        Add("ipv6 packet too big", Ip6Frame("fd00::1", Guest6, Icmp6, [2, 0, 0, 0, 0, 0, 0x05, 0x00, .. Ip6(Guest6, Server6, Udp, UdpDatagram(40000, 9999, new byte[8]))]));

        // MLDv2 reports carry a hop-by-hop header with the router alert.
        byte[] group = System.Net.IPAddress.Parse("ff02::1:ff76:5430").GetAddressBytes();
        byte[] mldv2 = [143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, .. group];
        Add("mldv2 report", Ip6Frame(LinkLocal, "ff02::16", HopByHop, HopByHopRouterAlert(Icmp6, mldv2)));
        Add("mldv2 report two groups", Ip6Frame(LinkLocal, "ff02::16", HopByHop, HopByHopRouterAlert(Icmp6, [143, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, .. group, 3, 0, 0, 0, .. group])));
        Add("mldv2 report from ::", Ip6Frame("::", "ff02::16", HopByHop, HopByHopRouterAlert(Icmp6, mldv2)));
        Add("mld query", Ip6Frame("fe80::1", "ff02::1", HopByHop, HopByHopRouterAlert(Icmp6, [130, 0, 0, 0, 0x27, 0x10, 0, 0, .. new byte[16], 2, 125, 0, 0])));
        Add("hop-by-hop udp", Ip6Frame(Guest6, Server6, HopByHop, HopByHopRouterAlert(Udp, UdpDatagram(40000, 9999, new byte[16]))));

        // Routing headers, as tcpdump 4.99 names them: a type 0 in a chain of every extension header, a segment routing header.
        byte[] server6 = System.Net.IPAddress.Parse(Server6).GetAddressBytes();
        Add("ipv6 extension chain with a routing header", Ip6Frame(Guest6, Server6, HopByHop,
            [43, 0, 1, 4, 0, 0, 0, 0, 44, 2, 0, 1, 0, 0, 0, 0, .. server6, 60, 0, 0, 0, 0, 0, 0, 42, Icmp6, 0, 1, 4, 0, 0, 0, 0, .. IcmpMessage(128, 0, 9, 1, new byte[56])]));
        Add("ipv6 segment routing header", Ip6Frame(Guest6, Server6, 43, [Udp, 2, 4, 0, 0, 0, 0, 7, .. server6, .. UdpDatagram(40000, 9999, new byte[8])]));
        Add("ipv6 no next header", Ip6Frame(Guest6, Server6, 59, new byte[8]));

        Add("ipv6 first fragment", Ip6Frame(Guest6, Server6, Fragment6, Fragment6Header(Udp, 0, true, 0xabcd, UdpDatagram(40000, 9999, new byte[1500])[..1232])));
        Add("ipv6 second fragment", Ip6Frame(Guest6, Server6, Fragment6, Fragment6Header(Udp, 1232, false, 0xabcd, new byte[276])));
    }

    /// <summary>IPv6 whose lengths disagree: no payload length (a jumbogram's, or none), hop-by-hop options past their header, misplaced or broken extension headers.</summary>
    private static void AddMalformedIpv6(Action<string, byte[], int?> add)
    {
        void Add(string name, byte[] data) => add(name, data, null);
        var echo = IcmpMessage(128, 0, 1, 7, new byte[56]);
        byte[] padN = [1, 4, 0, 0, 0, 0];
        Add("ipv6 payload length 0", Ip6Frame(Guest6, Server6, Icmp6, echo, payloadLength: 0));
        Add("ipv6 payload length 0, udp", Ip6Frame(Guest6, Server6, Udp, UdpDatagram(40000, 53, new byte[4]), payloadLength: 0));
        Add("ipv6 payload length 0, hop-by-hop without jumbo option", Ip6Frame(Guest6, Server6, HopByHop, [Icmp6, 0, .. padN, .. echo], payloadLength: 0));
        Add("ipv6 jumbogram", Ip6Frame(Guest6, Server6, HopByHop, [Icmp6, 0, 0xc2, 4, 0, 1, 0, 0, .. echo], payloadLength: 0));
        Add("ipv6 payload length 0, destination options", Ip6Frame(Guest6, Server6, 60, [Icmp6, 0, .. padN, .. echo], payloadLength: 0));
        Add("hop-by-hop router alert of length 3", Ip6Frame(Guest6, Server6, HopByHop, [Icmp6, 0, 5, 3, 0, 0, 0, 0, .. echo]));
        Add("hop-by-hop option past its header", Ip6Frame(Guest6, Server6, HopByHop, [Icmp6, 0, 1, 9, 0, 0, 0, 0, .. echo]));
        Add("hop-by-hop twice", Ip6Frame(Guest6, Server6, HopByHop, [HopByHop, 0, .. padN, Icmp6, 0, .. padN, .. echo]));
        Add("hop-by-hop after destination options", Ip6Frame(Guest6, Server6, 60, [HopByHop, 0, .. padN, Icmp6, 0, .. padN, .. echo]));
        Add("routing header of unknown type", Ip6Frame(Guest6, Server6, 43, [Icmp6, 2, 7, 1, 0, 0, 0, 0, .. new byte[16], .. echo]));
        Add("routing header of odd length", Ip6Frame(Guest6, Server6, 43, [Icmp6, 1, 0, 1, 0, 0, 0, 5, .. new byte[8], .. echo]));
        Add("routing header past the payload length", Ip6Frame(Guest6, Server6, HopByHop, [43, 0, .. padN, Icmp6, 2, 0, 1, 0, 0, 0, 0, .. new byte[16], .. echo], payloadLength: 16));
        Add("ipv6 parameter problem without the quoted header", Ip6Frame("fd00::1", Guest6, Icmp6, [4, 0, 0, 0, 0, 0, 0, 6, .. new byte[8]]));
        var fragment = Ip6Frame(Guest6, Server6, Fragment6, Fragment6Header(Udp, 0, true, 1, UdpDatagram(40000, 53, new byte[4])));
        Add("fragment header cut after its offset", fragment[..(14 + 40 + 6)]);
    }

    private static void AddMalformed(Action<string, byte[], int?> add, byte[] routerAlert)
    {
        var ping = Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 1, new byte[56]));
        add("24-byte frame", ping[..24], null);
        add("10-byte frame", ping[..10], null);
        add("ethernet header only", ping[..14], null);
        add("ip total length past the frame", Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 2, new byte[56]), totalLength: 84 + 964), null);
        add("ip total length shorter than header", Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 3, new byte[56]), totalLength: 12), null);
        add("ip header length 3", Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 4, new byte[56]), headerWords: 3), null);
        add("ip header past the frame", Ip4Frame(Guest, Server, Icmp, [8, 0], headerWords: 15, totalLength: 22), null);
        add("ip version 5", Ethernet(0x0800, [0x55, .. Ip4(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 5, new byte[56]))[1..]]), null);
        add("ipv6 in an ipv4 ethertype", Ethernet(0x0800, Ip6(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 1, 1, new byte[8]))), null);
        add("tcp data offset 3", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100, dataOffsetWords: 3)), null);
        add("tcp data offset past the segment", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100, dataOffsetWords: 15)), null);
        add("tcp header cut", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100)[..12]), null);
        add("tcp ports only", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100)[..3]), null);
        add("tcp bad option length", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Syn, 100, [2, 9, 5, 0xb4])), null);
        add("udp length past the datagram", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[10], length: 200)), null);
        add("udp length below its header", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[10], length: 4)), null);
        add("udp header cut", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[10])[..5]), null);
        add("icmp one byte", Ip4Frame(Guest, Server, Icmp, [8]), null);
        add("icmp echo without id", Ip4Frame(Guest, Server, Icmp, [8, 0, 0, 0, 0]), null);
        add("icmp unreachable without inner header", Ip4Frame(Server, Guest, Icmp, [3, 3, 0, 0, 0, 0, 0, 0, 0x45, 0]), null);
        add("ipv4 in an ipv6 ethertype", Ethernet(0x86dd, Ip4(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 6, new byte[56]))), null);
        add("ipv4 header cut in an ipv6 ethertype", Ethernet(0x86dd, Ip4(Guest, Server, Icmp, IcmpMessage(8, 0, 513, 6, new byte[56]))[..30]), null);
        add("ipv6 header cut", Ethernet(0x86dd, Ip6(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 1, 1, new byte[8]))[..30]), null);
        add("ipv6 payload length past the frame", Ip6Frame(Guest6, Server6, Icmp6, IcmpMessage(128, 0, 1, 2, new byte[8]), payloadLength: 400), null);
        AddMalformedIpv6(add);
        add("icmp in ipv6", Ip6Frame(Guest6, Server6, Icmp, IcmpMessage(8, 0, 1, 1, new byte[8])), null);
        add("igmp in ipv6", Ip6Frame(Guest6, Server6, Igmp, [0x16, 0, 0, 0, 239, 1, 2, 3]), null);
        add("icmpv6 in ipv4", Ip4Frame(Guest, Server, Icmp6, IcmpMessage(128, 0, 1, 1, new byte[8])), null);
        add("unknown ip protocol", Ip4Frame(Guest, Server, 253, new byte[8]), null);
        add("802.3 length 0", Ethernet(0, new byte[46]), null);
        add("802.3 I frame of 3 bytes", Ethernet(3, [0x42, 0x42, 0, .. new byte[43]]), null);
        add("arp cut", Ethernet(0x0806, Arp(1, Vm1, Guest, Broadcast, Gateway)[..20], destination: Broadcast), null);
        add("dns pointer loop", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(53, 40000, WireFrames.Dns(1300, 0x8180, "example.com", 1, answers: 1,
            records: [0xc0, 0x1d, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 0x1d]))), null);
        add("dns cut after header", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(53, 40000, WireFrames.Dns(1301, 0x8180, "example.com", 1, answers: 1)[..14])), null);
        add("dns shorter than its header", Ip4Frame(Guest, Gateway, Udp, UdpDatagram(40000, 53, WireFrames.Dns(1303, 0x0100, "example.com", 1)[..11])), null);
        // tcpdump reads the records as far as the IP packet goes, past a UDP length that says less.
        var twoAnswers = WireFrames.Dns(1304, 0x8180, "example.com", 1, answers: 2, records: [Record(1, [1, 1, 1, 1]), Record(1, [2, 2, 2, 2])]);
        add("dns records past the udp length", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(53, 40000, twoAnswers, length: 8 + twoAnswers.Length - 16)), null);
        add("dns answer count past the message", Ip4Frame(Gateway, Guest, Udp, UdpDatagram(53, 40000, WireFrames.Dns(1302, 0x8180, "example.com", 1, answers: 3,
            records: Record(1, [93, 184, 216, 34])))), null);
        add("igmp cut", Ip4Frame(Guest, "224.0.0.22", Igmp, [0x22, 0, 0], options: routerAlert, headerWords: 6, ttl: 1), null);
        add("vlan tag cut", Vlan([10], 0x0800, [])[..16], null);
        add("http get cut mid-line", Ip4Frame(Guest, Server, Tcp, TcpSegment(40700, 80, 1, 1, Psh | Ack, 100, payload: Ascii("GET /very/long/path HTTP/1.1\r\n"))), null);

        // Cut by the snap length, as a capture with snaplen 96 keeps them: the row reads what was kept.
        var bigPing = Ip4Frame(Guest, Server, Icmp, IcmpMessage(8, 0, 600, 1, new byte[1000]));
        add("snapped ping", bigPing[..96], bigPing.Length);
        var data = Ip4Frame(Server, Guest, Tcp, TcpSegment(443, 50001, 5, 6, Ack, 100, Timestamps(1, 2), new byte[1400]));
        add("snapped tcp data", data[..96], data.Length);
        var get = Ip4Frame(Guest, Server, Tcp, TcpSegment(40800, 80, 1, 1, Psh | Ack, 100, payload: Ascii("GET /a-rather-long-path-that-goes-past-the-snap-length/index.html HTTP/1.1\r\nHost: x\r\n\r\n")));
        add("snapped http get", get[..96], get.Length);
        var answer = Ip4Frame(Gateway, Guest, Udp, UdpDatagram(53, 40000, WireFrames.Dns(1400, 0x8180, "example.com", 1, answers: 3,
            records: [Record(1, [1, 1, 1, 1]), Record(1, [2, 2, 2, 2]), Record(1, [3, 3, 3, 3])])));
        add("snapped dns answer", answer[..80], answer.Length);
        var udp = Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[1000]));
        add("snapped udp", udp[..64], udp.Length);
    }
}

using System.Buffers.Binary;
using static NetDashboard.Lab.Tests.Capture.WireFrames;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>A frame the fuzz made: how it was made, its captured bytes and its length on the wire.</summary>
internal sealed record FuzzFrame(string Origin, byte[] Data, int WireLength)
{
    /// <summary>Everything needed to decode it again: the hex of its bytes and its wire length.</summary>
    public override string ToString() => $"{Origin}; wire length {WireLength}, {Data.Length} bytes captured: {Convert.ToHexStringLower(Data)}";
}

/// <summary>
/// Frames for the decoder fuzz, all drawn from one seed so that a failure can be made again: random bytes, and
/// well-formed frames (<see cref="Seeds"/>) with bits flipped, length fields overwritten, cut, shifted or extended.
/// </summary>
internal sealed class FrameFuzzer(int seed)
{
    private const int MaxRandomLength = 1600;

    /// <summary>Values that sit on the edges length checks test: zero, one, a header's size, a sign bit, all ones.</summary>
    private static readonly byte[] EdgeBytes = [0, 1, 2, 4, 5, 6, 8, 0x0f, 0x10, 0x3f, 0x40, 0x45, 0x60, 0x7f, 0x80, 0xc0, 0xf0, 0xff];
    private static readonly ushort[] EdgeWords = [0, 1, 7, 8, 12, 19, 20, 28, 39, 40, 41, 0x7fff, 0x8000, 0xfff8, 0xffff];

    private readonly Random _random = new(seed);

    /// <summary>The corpus the differential suite holds to tcpdump, and frames it lacks: every IPv6 extension header, every TCP option.</summary>
    public static IReadOnlyList<CorpusPacket> Seeds { get; } = [.. TcpdumpCorpus.Build(), .. ExtraSeeds()];

    /// <summary>Random bytes, 0 to 1600 of them; half say IPv4, IPv6, ARP or VLAN where the ethertype goes, so they reach the decoders behind.</summary>
    public FuzzFrame RandomFrame(int index)
    {
        var data = new byte[_random.Next(2) == 0 ? _random.Next(MaxRandomLength + 1) : _random.Next(128)];
        _random.NextBytes(data);
        var origin = $"random #{index}";
        if (data.Length > 14 && _random.Next(2) == 0)
        {
            var type = (ushort)(_random.Next(4) switch { 0 => 0x0800, 1 => 0x86dd, 2 => 0x0806, _ => 0x8100 });
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(12), type);
            if (type is 0x0800 or 0x86dd)
                data[14] = (byte)((type == 0x0800 ? 0x40 : 0x60) | (data[14] & 0x0f));
            origin += $" as ethertype 0x{type:x4}";
        }
        return new FuzzFrame(origin, data, WireLength(data.Length));
    }

    /// <summary>A seed with one to three mutations; the origin names the seed and each mutation.</summary>
    public FuzzFrame MutatedFrame(int index)
    {
        var seedPacket = Seeds[_random.Next(Seeds.Count)];
        var data = seedPacket.Data;
        var steps = new List<string>();
        for (var n = 1 + _random.Next(3); n > 0; n--)
        {
            (data, var step) = _random.Next(6) switch
            {
                0 => FlipBits(data),
                1 => OverwriteLengthField(data),
                2 => OverwriteHeaderByte(data),
                3 => Cut(data),
                4 => Extend(data),
                _ => Shift(data),
            };
            steps.Add(step);
        }
        return new FuzzFrame($"mutation #{index} of '{seedPacket.Name}': {string.Join(", ", steps)}", data, WireLength(data.Length));
    }

    /// <summary>Mostly what was captured; one in eight longer, as when the snap length cut the packet.</summary>
    private int WireLength(int captured) => _random.Next(8) == 0 ? captured + 1 + _random.Next(1500) : captured;

    private (byte[], string) FlipBits(byte[] data)
    {
        if (data.Length == 0)
            return (data, "no bit to flip");
        var copy = data.ToArray();
        var count = 1 + _random.Next(8);
        for (var i = 0; i < count; i++)
            copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
        return (copy, $"{count} bits flipped");
    }

    private (byte[], string) OverwriteLengthField(byte[] data)
    {
        var fields = LengthFields(data);
        if (fields.Count == 0)
            return OverwriteHeaderByte(data);
        var (offset, size, name) = fields[_random.Next(fields.Count)];
        var copy = data.ToArray();
        if (size == 1)
        {
            copy[offset] = _random.Next(4) == 0 ? (byte)_random.Next(256) : EdgeBytes[_random.Next(EdgeBytes.Length)];
            return (copy, $"{name} at {offset} set to 0x{copy[offset]:x2}");
        }
        var word = _random.Next(3) switch
        {
            0 => (ushort)_random.Next(65536),
            1 => (ushort)(BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset)) + _random.Next(-64, 65)),
            _ => EdgeWords[_random.Next(EdgeWords.Length)],
        };
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(offset), word);
        return (copy, $"{name} at {offset} set to {word}");
    }

    private (byte[], string) OverwriteHeaderByte(byte[] data)
    {
        if (data.Length == 0)
            return (data, "no byte to overwrite");
        var copy = data.ToArray();
        var offset = _random.Next(Math.Min(copy.Length, 128));
        copy[offset] = EdgeBytes[_random.Next(EdgeBytes.Length)];
        return (copy, $"byte {offset} set to 0x{copy[offset]:x2}");
    }

    private (byte[], string) Cut(byte[] data)
    {
        var length = _random.Next(data.Length + 1);
        return (data[..length], $"cut to {length}");
    }

    private (byte[], string) Extend(byte[] data)
    {
        var more = new byte[1 + _random.Next(64)];
        if (_random.Next(2) == 0)
            _random.NextBytes(more);
        return ([.. data, .. more], $"{more.Length} bytes added");
    }

    /// <summary>Bytes inserted or removed inside the frame: every header after them moves.</summary>
    private (byte[], string) Shift(byte[] data)
    {
        var at = _random.Next(data.Length + 1);
        var count = 1 + _random.Next(8);
        if (_random.Next(2) == 0 && at + count <= data.Length)
            return ([.. data.AsSpan(0, at), .. data.AsSpan(at + count)], $"{count} bytes removed at {at}");
        var inserted = new byte[count];
        _random.NextBytes(inserted);
        return ([.. data.AsSpan(0, at), .. inserted, .. data.AsSpan(at)], $"{count} bytes inserted at {at}");
    }

    /// <summary>
    /// Where the frame's headers say how long they are or what follows (offset, size, name), found by walking the
    /// headers as the wire formats lay them out: Ethernet and VLAN tags, IPv4, IPv6 and its extension headers,
    /// ARP, TCP (its options too), UDP, DNS's counts and first label, ICMP's quoted header.
    /// </summary>
    private static List<(int Offset, int Size, string Name)> LengthFields(byte[] frame)
    {
        var fields = new List<(int, int, string)>();
        void Add(int offset, int size, string name)
        {
            if (offset >= 0 && offset + size <= frame.Length)
                fields.Add((offset, size, name));
        }
        if (frame.Length < 14)
            return fields;
        var at = 12;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at));
        while (type is 0x8100 or 0x88a8 && at + 6 <= frame.Length)
        {
            Add(at, 2, "tag type");
            at += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at));
        }
        Add(at, 2, "ethertype");
        var ip = at + 2;
        int transport;
        byte protocol;
        switch (type)
        {
            case 0x0800 when frame.Length >= ip + 20:
                Add(ip, 1, "version and header length");
                Add(ip + 2, 2, "ipv4 total length");
                Add(ip + 6, 2, "fragment offset");
                Add(ip + 9, 1, "ipv4 protocol");
                transport = ip + (frame[ip] & 0x0f) * 4;
                protocol = frame[ip + 9];
                break;
            case 0x86dd when frame.Length >= ip + 40:
                Add(ip, 1, "version");
                Add(ip + 4, 2, "ipv6 payload length");
                Add(ip + 6, 1, "next header");
                protocol = frame[ip + 6];
                transport = ip + 40;
                while (protocol is 0 or 43 or 44 or 60 && transport + 2 <= frame.Length)
                {
                    Add(transport, 1, "extension's next header");
                    Add(transport + 1, 1, "extension length");
                    Add(transport + 2, 2, "extension's first word");
                    var length = protocol == 44 ? 8 : (frame[transport + 1] + 1) * 8;
                    protocol = frame[transport];
                    transport += length;
                }
                break;
            case 0x0806:
                Add(ip + 2, 2, "arp protocol");
                Add(ip + 4, 1, "arp hardware length");
                Add(ip + 5, 1, "arp protocol length");
                return fields;
            default:
                return fields;
        }
        switch (protocol)
        {
            case 6 when frame.Length >= transport + 20:
                Add(transport + 12, 1, "tcp data offset");
                var optionsEnd = Math.Min(frame.Length, transport + (frame[transport + 12] >> 4) * 4);
                for (var option = transport + 20; option < optionsEnd; option++)
                    Add(option, 1, "tcp option byte");
                break;
            case 17:
                Add(transport + 4, 2, "udp length");
                for (var count = 4; count < 12; count += 2)
                    Add(transport + 8 + count, 2, "dns count");
                Add(transport + 8 + 12, 1, "dns label length");
                break;
            case 1 or 58:
                Add(transport, 1, "icmp type");
                Add(transport + 1, 1, "icmp code");
                Add(transport + 8, 1, "quoted version and header length");
                Add(transport + 26, 2, "mld source count");
                break;
        }
        return fields;
    }

    /// <summary>What the tcpdump corpus lacks: routing and destination options headers, MLDv2 sources, every TCP option, mDNS.</summary>
    private static IEnumerable<CorpusPacket> ExtraSeeds()
    {
        const string Guest = "192.168.1.10", Server = "203.0.113.5", Guest6 = "fd00::10", Server6 = "2001:db8::5";
        static CorpusPacket Seed(string name, byte[] data) => new(name, data, data.Length);
        byte[] group = System.Net.IPAddress.Parse("ff02::1:ff76:5430").GetAddressBytes();

        // Hop-by-hop, a type 0 routing header with one address, a first fragment, destination options, then the payload.
        byte[] Chain(byte payloadProtocol, byte[] payload) =>
        [
            43, 0, 1, 4, 0, 0, 0, 0,
            44, 2, 0, 1, 0, 0, 0, 0, .. System.Net.IPAddress.Parse(Server6).GetAddressBytes(),
            60, 0, 0, 0, 0, 0, 0, 42,
            payloadProtocol, 0, 1, 4, 0, 0, 0, 0, .. payload,
        ];
        yield return Seed("ipv6 extension chain, echo", Ip6Frame(Guest6, Server6, HopByHop, Chain(Icmp6, IcmpMessage(128, 0, 9, 1, new byte[56]))));
        yield return Seed("ipv6 extension chain, dns", Ip6Frame(Guest6, Server6, HopByHop, Chain(Udp, UdpDatagram(40000, 53, Dns(7, 0x0100, "example.com", 28)))));
        yield return Seed("ipv6 extension chain, tcp syn", Ip6Frame(Guest6, Server6, HopByHop, Chain(Tcp, TcpSegment(41000, 80, 1, 0, Syn, 64800, SynOptions(1440, 1, 0, 7)))));
        yield return Seed("mldv2 query with sources", Ip6Frame("fe80::1", "ff02::1", HopByHop,
            HopByHopRouterAlert(Icmp6, [130, 0, 0, 0, 0x27, 0x10, 0, 0, .. group, 2, 125, 0, 2, .. group, .. group])));
        yield return Seed("icmp6 address unreachable", Ip6Frame("fd00::1", Guest6, Icmp6,
            [1, 3, 0, 0, 0, 0, 0, 0, .. Ip6(Guest6, Server6, Tcp, TcpSegment(40000, 22, 1, 0, Syn, 100))]));
        yield return Seed("qinq ipv6 tcp", Vlan([100, 10], 0x86dd, Ip6(Guest6, Server6, Tcp, TcpSegment(41000, 443, 5, 6, Ack, 100, Timestamps(1, 2), new byte[20])), tagType: 0x88a8));

        byte[] sack = [.. BigEndian(100), .. BigEndian(200), .. BigEndian(300), .. BigEndian(400)];
        yield return Seed("tcp mss, sackOK, TS, sack, wscale", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100,
            [2, 4, 5, 0xb4, 4, 2, 8, 10, .. BigEndian(1), .. BigEndian(2), 5, 18, .. sack, 1, 3, 3, 7, 0, 0])));
        yield return Seed("tcp md5, mptcp, tfo, exp, unknown, eol", Ip4Frame(Guest, Server, Tcp, TcpSegment(40000, 80, 1, 1, Ack, 100,
            [19, 18, .. new byte[16], 30, 6, 0, 0, 0, 0, 34, 2, 254, 4, 0xf9, 0x89, 99, 3, 0, 1, 1, 1, 0, 0, 0, 0])));
        yield return Seed("udp after ipv4 options", Ip4Frame(Guest, Server, Udp, UdpDatagram(40000, 9999, new byte[24]), options: [0x94, 0x04, 0x00, 0x00], headerWords: 6));
        yield return Seed("mdns answer, cache flush", Ip4Frame("169.254.1.2", "224.0.0.251", Udp, UdpDatagram(5353, 5353,
            Dns(0, 0x8400, "printer.local", 1, answers: 1, records: [0xc0, 0x0c, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 169, 254, 1, 2]))));
        yield return Seed("arp with 8-byte hardware addresses", Ethernet(0x0806,
            [0, 1, 8, 0, 8, 4, 0, 1, .. new byte[8], 192, 168, 1, 10, .. new byte[8], 192, 168, 1, 1], destination: Broadcast));
    }
}

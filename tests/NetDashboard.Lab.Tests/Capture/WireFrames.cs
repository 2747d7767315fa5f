using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>
/// Frames byte by byte, so a test can also build what no stack sends (a total length past the frame, a data offset
/// of 3). Checksums are left zero: tcpdump checks them only with -v.
/// </summary>
internal static class WireFrames
{
    public static readonly byte[] Vm1 = [0x52, 0x54, 0x98, 0x76, 0x54, 0x30];
    public static readonly byte[] Bridge = [0x52, 0x54, 0x00, 0x12, 0x34, 0x01];
    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    public const byte Tcp = 6, Udp = 17, Icmp = 1, Igmp = 2, Icmp6 = 58, HopByHop = 0, Fragment6 = 44;
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;

    public static byte[] Ethernet(ushort type, byte[] payload, byte[]? source = null, byte[]? destination = null) =>
        [.. destination ?? Bridge, .. source ?? Vm1, (byte)(type >> 8), (byte)type, .. payload];

    /// <summary>An 802.1Q tag (or several, outermost first) before <paramref name="type"/>.</summary>
    public static byte[] Vlan(ushort[] tags, ushort type, byte[] payload, ushort tagType = 0x8100)
    {
        var bytes = new List<byte>();
        bytes.AddRange(Bridge);
        bytes.AddRange(Vm1);
        for (var i = 0; i < tags.Length; i++)
        {
            var outer = i == 0 ? tagType : (ushort)0x8100;
            bytes.AddRange([(byte)(outer >> 8), (byte)outer, (byte)(tags[i] >> 8), (byte)tags[i]]);
        }
        bytes.AddRange([(byte)(type >> 8), (byte)type]);
        bytes.AddRange(payload);
        return [.. bytes];
    }

    public static byte[] Ip4Frame(string source, string destination, byte protocol, byte[] payload, ushort id = 0x1234,
        ushort flagsOffset = 0x4000, int? totalLength = null, int headerWords = 5, byte[]? options = null, byte ttl = 64) =>
        Ethernet(0x0800, Ip4(source, destination, protocol, payload, id, flagsOffset, totalLength, headerWords, options, ttl));

    public static byte[] Ip4(string source, string destination, byte protocol, byte[] payload, ushort id = 0x1234,
        ushort flagsOffset = 0x4000, int? totalLength = null, int headerWords = 5, byte[]? options = null, byte ttl = 64)
    {
        var header = new byte[20 + (options?.Length ?? 0)];
        header[0] = (byte)(0x40 | headerWords);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(totalLength ?? header.Length + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), flagsOffset);
        header[8] = ttl;
        header[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(header, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(header, 16);
        options?.CopyTo(header, 20);
        return [.. header, .. payload];
    }

    public static byte[] Ip6Frame(string source, string destination, byte nextHeader, byte[] payload, int? payloadLength = null) =>
        Ethernet(0x86dd, Ip6(source, destination, nextHeader, payload, payloadLength));

    public static byte[] Ip6(string source, string destination, byte nextHeader, byte[] payload, int? payloadLength = null)
    {
        var header = new byte[40];
        header[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        header[6] = nextHeader;
        header[7] = 64;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(header, 8);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(header, 24);
        return [.. header, .. payload];
    }

    /// <summary>A hop-by-hop header with the router alert option (MLD's), then <paramref name="nextHeader"/>.</summary>
    public static byte[] HopByHopRouterAlert(byte nextHeader, byte[] payload) =>
        [nextHeader, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00, .. payload];

    public static byte[] Fragment6Header(byte nextHeader, int offset, bool more, uint id, byte[] payload) =>
        [nextHeader, 0, (byte)(offset >> 5), (byte)((offset << 3) | (more ? 1 : 0)), (byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id, .. payload];

    public static byte[] TcpSegment(ushort sourcePort, ushort destinationPort, uint seq, uint ack, byte flags, ushort window,
        byte[]? options = null, byte[]? payload = null, int? dataOffsetWords = null, ushort urgent = 0)
    {
        var optionBytes = options ?? [];
        var header = new byte[20 + optionBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), ack);
        header[12] = (byte)((dataOffsetWords ?? header.Length / 4) << 4);
        header[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), window);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18), urgent);
        optionBytes.CopyTo(header, 20);
        return [.. header, .. payload ?? []];
    }

    /// <summary>Linux's SYN options: mss, sackOK, TS, nop, wscale (20 bytes).</summary>
    public static byte[] SynOptions(ushort mss, uint tsValue, uint tsEcho, byte scale) =>
        [2, 4, (byte)(mss >> 8), (byte)mss, 4, 2, 8, 10, .. BigEndian(tsValue), .. BigEndian(tsEcho), 1, 3, 3, scale];

    /// <summary>nop, nop, TS (12 bytes): every segment after the handshake.</summary>
    public static byte[] Timestamps(uint value, uint echo) => [1, 1, 8, 10, .. BigEndian(value), .. BigEndian(echo)];

    public static byte[] UdpDatagram(ushort sourcePort, ushort destinationPort, byte[] payload, int? length = null)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(length ?? 8 + payload.Length));
        return [.. header, .. payload];
    }

    public static byte[] IcmpMessage(byte type, byte code, ushort id, ushort sequence, byte[]? body = null) =>
        [type, code, 0, 0, (byte)(id >> 8), (byte)id, (byte)(sequence >> 8), (byte)sequence, .. body ?? []];

    /// <summary>An ICMP error: type, code, the 4-byte word (the MTU for need-to-frag), the offending header and 8 bytes.</summary>
    public static byte[] IcmpError(byte type, byte code, byte[] offending, ushort mtu = 0) =>
        [type, code, 0, 0, 0, 0, (byte)(mtu >> 8), (byte)mtu, .. offending[..Math.Min(offending.Length, 28)]];

    public static byte[] Arp(ushort operation, byte[] senderMac, string sender, byte[] targetMac, string target) =>
        [0, 1, 8, 0, 6, 4, (byte)(operation >> 8), (byte)operation, .. senderMac, .. IPAddress.Parse(sender).GetAddressBytes(),
            .. targetMac, .. IPAddress.Parse(target).GetAddressBytes()];

    public static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>A DNS message: header, one question, then resource records written by <see cref="Dns"/>'s helpers.</summary>
    public static byte[] Dns(ushort id, ushort flags, string question, ushort type, int answers = 0, int authorities = 0, int additional = 0, params byte[][] records)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, (byte)(flags >> 8), (byte)flags, 0, 1,
            (byte)(answers >> 8), (byte)answers, (byte)(authorities >> 8), (byte)authorities, (byte)(additional >> 8), (byte)additional };
        bytes.AddRange(Name(question));
        bytes.AddRange([(byte)(type >> 8), (byte)type, 0, 1]);
        foreach (var record in records)
            bytes.AddRange(record);
        return [.. bytes];
    }

    /// <summary>A record for the question's name (a pointer to offset 12), class IN, TTL 3600.</summary>
    public static byte[] Record(ushort type, byte[] data) =>
        [0xc0, 0x0c, (byte)(type >> 8), (byte)type, 0, 1, 0, 0, 0x0e, 0x10, (byte)(data.Length >> 8), (byte)data.Length, .. data];

    /// <summary>EDNS0's OPT pseudo-record with a 1232-byte UDP size.</summary>
    public static byte[] Opt() => [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }
}

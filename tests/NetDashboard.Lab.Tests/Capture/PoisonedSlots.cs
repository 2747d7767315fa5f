using static NetDashboard.Lab.Tests.Capture.WireFrames;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>
/// Three capture slots in one buffer, as <c>PacketSlotRing</c> keeps them: a frame is written at the start of the
/// middle one over the bytes of an earlier, longer packet, between slots holding other packets. Every stale packet
/// is made of values no fuzzed frame is likely to hold (<see cref="Signatures"/>), so a decoder that reads past its
/// frame, or before it, shows them.
/// </summary>
internal sealed class PoisonedSlots
{
    public const int SlotSize = 2048;

    /// <summary>How the stale packets' values read in a row.</summary>
    public static readonly string[] Signatures = ["6.6.6.6", "7.7.7.7", "4242", "06:06:06:06:06:06", "poison", "6666::6", "7777::7"];

    private static readonly byte[] Mac = [6, 6, 6, 6, 6, 6];

    /// <summary>The stale packets, each at the start of a slot followed by 0x06 bytes.</summary>
    private static readonly byte[][] StaleSlots = [.. StalePackets().Select(FillSlot)];

    private readonly byte[] _buffer = new byte[3 * SlotSize];
    private int _next;

    public byte[] Buffer => _buffer;

    /// <summary>Where the frame starts in <see cref="Buffer"/>: the middle slot.</summary>
    public int Offset => SlotSize;

    /// <summary>Writes the frame over a stale packet, with the next stale packets in the slots around it.</summary>
    public void Place(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > SlotSize)
            throw new ArgumentOutOfRangeException(nameof(frame), $"{frame.Length} bytes do not fit a {SlotSize}-byte slot");
        for (var slot = 0; slot < 3; slot++)
            StaleSlots[(_next + slot) % StaleSlots.Length].CopyTo(_buffer, slot * SlotSize);
        _next++;
        frame.CopyTo(_buffer.AsSpan(Offset));
    }

    /// <summary>The finding's ICMP echo, a DNS answer, HTTP over TCP, IPv6 through extension headers, ARP.</summary>
    private static IEnumerable<byte[]> StalePackets()
    {
        yield return Ethernet(0x0800, Ip4("6.6.6.6", "7.7.7.7", Icmp, IcmpMessage(8, 0, 4242, 7, new byte[56])), Mac, Mac);
        yield return Ethernet(0x0800, Ip4("6.6.6.6", "7.7.7.7", Udp, UdpDatagram(53, 4242, Dns(4242, 0x8180, "poison.stale", 1, answers: 40,
            records: [.. Enumerable.Repeat(Record(1, [6, 6, 6, 6]), 40).SelectMany(r => r)]))), Mac, Mac);
        yield return Ethernet(0x0800, Ip4("6.6.6.6", "7.7.7.7", Tcp, TcpSegment(4242, 80, 4242, 4242, Psh | Ack, 4242, Timestamps(4242, 4242),
            Ascii("GET /poison HTTP/1.1\r\nHost: poison\r\n\r\n"))), Mac, Mac);
        yield return Ethernet(0x86dd, Ip6("6666::6", "7777::7", HopByHop, HopByHopRouterAlert(Fragment6,
            Fragment6Header(Icmp6, 0, false, 4242, IcmpMessage(128, 0, 4242, 7, new byte[56]))), payloadLength: 4242), Mac, Mac);
        yield return Ethernet(0x0806, Arp(2, Mac, "6.6.6.6", Mac, "7.7.7.7"), Mac, Mac);
    }

    private static byte[] FillSlot(byte[] packet)
    {
        var slot = new byte[SlotSize];
        Array.Fill(slot, (byte)6);
        packet.CopyTo(slot, 0);
        return slot;
    }
}

using NetDashboard.Lab.Model;
using System.Buffers.Binary;
using System.Text;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// Writes pcapng (IETF draft-ietf-opsawg-pcapng): a section header, one interface description block per capture
/// (if_name "host/tap0", if_tsresol 6 = microseconds) and enhanced packet blocks, each with an optional comment
/// (opt_comment, which Wireshark shows as the packet's comment and tshark as frame.comment). No NuGet package writes pcapng,
/// and the subset Wireshark, tshark and tcpdump need is small. Little-endian; the byte-order magic says so.
/// </summary>
public sealed class PcapNgWriter
{
    private const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceDescriptionType = 0x00000001;
    private const uint EnhancedPacketType = 0x00000006;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const ushort OptionEnd = 0;
    private const ushort OptionComment = 1;
    private const ushort OptionShbUserApplication = 4;
    private const ushort OptionIfName = 2;
    private const ushort OptionIfTsResolution = 9;

    /// <summary>The longest packet comment, in UTF-8 bytes: a line for a person, not a payload.</summary>
    public const int MaxCommentBytes = 512;

    private readonly Stream _stream;
    private int _interfaces;

    /// <summary>Writes the section header at once.</summary>
    public PcapNgWriter(Stream stream)
    {
        _stream = stream;
        var body = new BlockBuilder();
        body.UInt32(ByteOrderMagic).UInt16(1).UInt16(0).UInt64(ulong.MaxValue); // version 1.0, section length unknown
        body.Option(OptionShbUserApplication, Encoding.UTF8.GetBytes("NetDashboard")).Option(OptionEnd, []);
        WriteBlock(SectionHeaderType, body);
    }

    /// <summary>Adds an interface block; returns the interface id packets refer to (0, 1, … in order).</summary>
    /// <param name="linkType">A LINKTYPE_ value (1 for Ethernet).</param>
    public int AddInterface(string name, int linkType, int snaplen)
    {
        var body = new BlockBuilder();
        body.UInt16((ushort)linkType).UInt16(0).UInt32((uint)snaplen);
        body.Option(OptionIfName, Encoding.UTF8.GetBytes(name)).Option(OptionIfTsResolution, [6]).Option(OptionEnd, []);
        WriteBlock(InterfaceDescriptionType, body);
        return _interfaces++;
    }

    /// <param name="comment">Shown with the packet; at most <see cref="MaxCommentBytes"/> bytes of UTF-8.</param>
    public void WritePacket(int interfaceId, long timestampMicros, ReadOnlySpan<byte> data, int originalLength, string? comment = null)
    {
        if ((uint)interfaceId >= _interfaces)
            throw new ArgumentOutOfRangeException(nameof(interfaceId), "add the interface before its packets");
        var text = comment is null ? null : Encoding.UTF8.GetBytes(comment);
        if (text?.Length > MaxCommentBytes)
            throw new ArgumentOutOfRangeException(nameof(comment), $"a packet comment has at most {MaxCommentBytes} bytes");
        var body = new BlockBuilder();
        body.UInt32((uint)interfaceId).UInt32((uint)((ulong)timestampMicros >> 32)).UInt32((uint)timestampMicros)
            .UInt32((uint)data.Length).UInt32((uint)Math.Max(originalLength, data.Length)).Padded(data);
        if (text is not null)
            body.Option(OptionComment, text).Option(OptionEnd, []);
        WriteBlock(EnhancedPacketType, body);
    }

    /// <summary>
    /// One file of several captures: all interface blocks first, then every packet merged by kernel timestamp. With
    /// two captures or more, a packet linked to others carries the correlation as its comment (<see cref="PacketComments"/>).
    /// </summary>
    /// <param name="notes">More to say of some packets (by capture index and sequence), after the correlation: a
    /// trace's verdict on the packet where the probe was last seen.</param>
    public static void Write(Stream stream, IReadOnlyList<CaptureSnapshot> captures, IReadOnlyDictionary<(int Capture, long Sequence), string>? notes = null)
    {
        var writer = new PcapNgWriter(stream);
        foreach (var capture in captures)
            writer.AddInterface(capture.InterfaceName, capture.LinkType, capture.Snaplen);
        var packets = captures
            .SelectMany((capture, id) => capture.Packets.Select(packet => (id, packet)))
            .OrderBy(p => p.packet.TimestampMicros)
            .ToList();
        var comments = captures.Count > 1 ? PacketComments.For([.. packets.Select(p => p.packet)]) : null;
        for (var i = 0; i < packets.Count; i++)
        {
            var comment = comments?[i];
            if (notes?.GetValueOrDefault((packets[i].id, packets[i].packet.Sequence)) is { } note)
                comment = Fit(comment is null ? note : $"{comment}; {note}");
            writer.WritePacket(packets[i].id, packets[i].packet.TimestampMicros, packets[i].packet.Data, packets[i].packet.Length, comment);
        }
    }

    /// <summary>A comment cut to <see cref="MaxCommentBytes"/> bytes of UTF-8, on a character's boundary.</summary>
    private static string Fit(string text)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= MaxCommentBytes) return text;
        var cut = text[..Math.Min(text.Length, MaxCommentBytes - 3)];
        while (System.Text.Encoding.UTF8.GetByteCount(cut) > MaxCommentBytes - 3) cut = cut[..^1];
        return cut + "…";
    }

    private void WriteBlock(uint type, BlockBuilder body)
    {
        var total = (uint)(12 + body.Length);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, type);
        _stream.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, total);
        _stream.Write(word);
        _stream.Write(body.Bytes);
        _stream.Write(word); // the length again, so readers can walk backwards
    }

    /// <summary>A block body: little-endian fields and options padded to 32 bits.</summary>
    private sealed class BlockBuilder
    {
        private readonly MemoryStream _bytes = new();

        public int Length => (int)_bytes.Length;
        public ReadOnlySpan<byte> Bytes => _bytes.GetBuffer().AsSpan(0, Length);

        public BlockBuilder UInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            _bytes.Write(b);
            return this;
        }

        public BlockBuilder UInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            _bytes.Write(b);
            return this;
        }

        public BlockBuilder UInt64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            _bytes.Write(b);
            return this;
        }

        public BlockBuilder Padded(ReadOnlySpan<byte> data)
        {
            _bytes.Write(data);
            Span<byte> zeros = stackalloc byte[3];
            zeros.Clear();
            _bytes.Write(zeros[..((4 - data.Length % 4) % 4)]);
            return this;
        }

        public BlockBuilder Option(ushort code, ReadOnlySpan<byte> value) => UInt16(code).UInt16((ushort)value.Length).Padded(value);
    }
}

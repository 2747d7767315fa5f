using System.Buffers.Binary;
using System.Text;
using NetDashboard.Lab.Capture;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PcapNgWriterTests
{
    private sealed record Block(uint Type, byte[] Body);

    /// <summary>Walks the file block by block, checking each one's framing as a reader would.</summary>
    private static List<Block> Blocks(byte[] file)
    {
        var blocks = new List<Block>();
        for (var at = 0; at < file.Length;)
        {
            var type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            Assert.Equal(0, length % 4);
            Assert.True(at + length <= file.Length, $"block at {at} claims {length} bytes");
            Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + length - 4)));
            blocks.Add(new Block(type, file[(at + 8)..(at + length - 4)]));
            at += length;
        }
        return blocks;
    }

    /// <summary>The options of a block body from <paramref name="start"/>: code → value.</summary>
    private static Dictionary<ushort, byte[]> Options(byte[] body, int start)
    {
        var options = new Dictionary<ushort, byte[]>();
        for (var at = start; at < body.Length;)
        {
            var code = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at));
            var length = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at + 2));
            if (code == 0) break;
            options[code] = body[(at + 4)..(at + 4 + length)];
            at += 4 + (length + 3) / 4 * 4;
        }
        return options;
    }

    private static byte[] Write(Action<PcapNgWriter> write)
    {
        using var stream = new MemoryStream();
        write(new PcapNgWriter(stream));
        return stream.ToArray();
    }

    [Fact]
    public void Write_SectionInterfacePacket_BlockTypesAndLengthsAligned()
    {
        var file = Write(w =>
        {
            var id = w.AddInterface("host/tap0", 1, 256);
            w.WritePacket(id, 1_700_000_000_123_456, new byte[61], 98);
        });

        var blocks = Blocks(file);
        Assert.Equal([0x0A0D0D0Au, 1u, 6u], blocks.Select(b => b.Type));
        var shb = blocks[0].Body;
        Assert.Equal(0x1A2B3C4Du, BinaryPrimitives.ReadUInt32LittleEndian(shb));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(shb.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(shb.AsSpan(6)));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(shb.AsSpan(8)));
    }

    [Fact]
    public void AddInterface_Named_IfNameAndMicrosecondResolution()
    {
        var file = Write(w => w.AddInterface("host/tap0", 1, 256));

        var idb = Blocks(file)[1].Body;
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(idb));
        Assert.Equal(256u, BinaryPrimitives.ReadUInt32LittleEndian(idb.AsSpan(4)));
        var options = Options(idb, 8);
        Assert.Equal("host/tap0", Encoding.UTF8.GetString(options[2]));
        Assert.Equal([6], options[9]);
    }

    [Fact]
    public void WritePacket_OddLength_PaddedWithLengthsAndTimestamp()
    {
        var data = Enumerable.Range(1, 61).Select(i => (byte)i).ToArray();
        const long micros = 1_700_000_000_123_456;
        var file = Write(w =>
        {
            w.AddInterface("host/br0", 1, 256);
            w.WritePacket(0, micros, data, 98);
        });

        var epb = Blocks(file)[2].Body;
        Assert.Equal(20 + 64, epb.Length);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(epb));
        var high = BinaryPrimitives.ReadUInt32LittleEndian(epb.AsSpan(4));
        var low = BinaryPrimitives.ReadUInt32LittleEndian(epb.AsSpan(8));
        Assert.Equal(micros, ((long)high << 32) | low);
        Assert.Equal(61u, BinaryPrimitives.ReadUInt32LittleEndian(epb.AsSpan(12)));
        Assert.Equal(98u, BinaryPrimitives.ReadUInt32LittleEndian(epb.AsSpan(16)));
        Assert.Equal(data, epb[20..81]);
        Assert.Equal([0, 0, 0], epb[81..84]);
    }

    [Fact]
    public void Write_TwoCaptures_InterfacesFirstThenPacketsByTimestamp()
    {
        var tap = new CaptureSnapshot("host/tap0", 1, 256, [new(0, 100, 60, new byte[60]), new(1, 300, 60, new byte[60])]);
        var uplink = new CaptureSnapshot("host/ens160", 1, 256, [new(0, 200, 60, new byte[60])]);
        using var stream = new MemoryStream();
        PcapNgWriter.Write(stream, [tap, uplink]);

        var blocks = Blocks(stream.ToArray());
        Assert.Equal([0x0A0D0D0Au, 1u, 1u, 6u, 6u, 6u], blocks.Select(b => b.Type));
        Assert.Equal([0u, 1u, 0u], blocks.Skip(3).Select(b => BinaryPrimitives.ReadUInt32LittleEndian(b.Body)));
        Assert.Equal([100u, 200u, 300u], blocks.Skip(3).Select(b => BinaryPrimitives.ReadUInt32LittleEndian(b.Body.AsSpan(8))));
    }

    [Fact]
    public void WritePacket_UnknownInterface_Throws()
    {
        using var stream = new MemoryStream();
        var writer = new PcapNgWriter(stream);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WritePacket(0, 0, new byte[1], 1));
    }
}

using NetDashboard.Lab.Model;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Capture.Correlation;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

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
    public void WritePacket_Comment_OptCommentUtf8PaddedThenEndOfOptions()
    {
        const string comment = "flow 1, hop 3/3, source rewritten 192.168.1.3 → 10.180.13.232";
        var text = Encoding.UTF8.GetBytes(comment);
        var file = Write(w =>
        {
            w.AddInterface("host/ens160", 1, 256);
            w.WritePacket(0, 0, new byte[61], 61, comment);
        });

        var epb = Blocks(file)[2].Body;
        Assert.Equal(63, text.Length); // the arrow takes 3 bytes
        Assert.Equal(20 + 64 + 4 + 64 + 4, epb.Length);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(epb.AsSpan(84))); // opt_comment after the padded data
        Assert.Equal(63, BinaryPrimitives.ReadUInt16LittleEndian(epb.AsSpan(86)));
        Assert.Equal(text, epb[88..151]);
        Assert.Equal([0], epb[151..152]); // padded to 32 bits
        Assert.Equal([0, 0, 0, 0], epb[152..]); // opt_endofopt
        Assert.Equal(comment, Encoding.UTF8.GetString(Options(epb, 84)[1]));
    }

    [Fact]
    public void WritePacket_NoComment_NoOptions()
    {
        var file = Write(w =>
        {
            w.AddInterface("host/br0", 1, 256);
            w.WritePacket(0, 0, new byte[60], 60);
        });

        Assert.Equal(20 + 60, Blocks(file)[2].Body.Length);
    }

    [Fact]
    public void WritePacket_CommentOverTheBound_Throws()
    {
        using var stream = new MemoryStream();
        var writer = new PcapNgWriter(stream);
        writer.AddInterface("host/br0", 1, 256);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WritePacket(0, 0, new byte[1], 1, new string('x', PcapNgWriter.MaxCommentBytes + 1)));
    }

    /// <summary>
    /// The PC's ping through nat-pc as the three panes see it (ens192, br0, ens160), linked by a real correlator the
    /// way a live capture links its rows; then written and read back by tshark.
    /// </summary>
    [Fact]
    public void Write_PingThroughNatOnThreePanes_TsharkShowsFlowHopAndRewriteAsComments()
    {
        const long t0 = 1_700_000_000_000_000;
        var pc = System.Net.IPAddress.Parse("192.168.1.3");
        var requestInside = Echo(IcmpV4TypeCode.EchoRequest, 7, 1, pc, Server, new Framing(Vm1, Bridge, 64, 0x4001));
        var requestOutside = Echo(IcmpV4TypeCode.EchoRequest, 7, 1, Uplink, Server, new Framing(UplinkMac, WanMac, 63, 0x4001));
        var replyOutside = Echo(IcmpV4TypeCode.EchoReply, 7, 1, Server, Uplink, new Framing(WanMac, UplinkMac, 64, 0x9001));
        var replyInside = Echo(IcmpV4TypeCode.EchoReply, 7, 1, Server, pc, new Framing(Bridge, Vm1, 63, 0x9001));
        var arp = Arp(ArpOperation.Request, UplinkMac, Uplink, Broadcast, System.Net.IPAddress.Parse("10.180.13.1"));
        var correlator = new PacketCorrelator();
        var panes = new Dictionary<string, List<StoredPacket>> { ["host/ens192"] = [], ["host/br0"] = [], ["host/ens160"] = [] };
        foreach (var (pane, micros, frame) in new[]
        {
            ("host/ens192", t0, requestInside), ("host/br0", t0 + 15, requestInside), ("host/ens160", t0 + 40, requestOutside),
            ("host/ens160", t0 + 300, replyOutside), ("host/br0", t0 + 330, replyInside), ("host/ens192", t0 + 340, replyInside),
            ("host/ens160", t0 + 900, arp),
        })
        {
            var packets = panes[pane];
            var link = correlator.Observe(InterfaceRef.Parse(pane), packets.Count, micros, frame);
            packets.Add(new StoredPacket(packets.Count, micros, frame.Length, frame, link.GroupId, link.FlowId));
        }
        var file = Path.Combine(Path.GetTempPath(), $"netdash-comments-{Guid.NewGuid():N}.pcapng");
        try
        {
            using (var stream = File.Create(file))
                PcapNgWriter.Write(stream, [.. panes.Select(p => new CaptureSnapshot(p.Key, 1, 256, p.Value))]);

            var lines = Tshark(file, "frame.interface_name", "icmp.type", "frame.comment");

            Assert.Equal(
                [
                    "host/ens192	8	flow 1, hop 1/3",
                    "host/br0	8	flow 1, hop 2/3",
                    "host/ens160	8	flow 1, hop 3/3, source rewritten 192.168.1.3 → 10.180.13.232, TTL 64 → 63",
                    "host/ens160	0	flow 1, hop 1/3",
                    "host/br0	0	flow 1, hop 2/3, destination rewritten 10.180.13.232 → 192.168.1.3, TTL 64 → 63",
                    "host/ens192	0	flow 1, hop 3/3",
                    "host/ens160		",
                ],
                lines);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Write_OneCapture_NoComments()
    {
        var frame = Echo(IcmpV4TypeCode.EchoRequest, 7, 1, Guest, Server);
        using var stream = new MemoryStream();

        PcapNgWriter.Write(stream, [new CaptureSnapshot("host/br0", 1, 256, [new(0, 100, frame.Length, frame, 1, 1)])]);

        Assert.Equal(20 + 100, Blocks(stream.ToArray())[2].Body.Length); // the 98-byte frame, padded; no options
    }

    /// <summary>tshark -r FILE -T fields -e …: one line per packet, tab-separated.</summary>
    private static string[] Tshark(string file, params string[] fields)
    {
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-r", file, "-T", "fields", .. fields.SelectMany(f => new[] { "-e", f })])
            start.ArgumentList.Add(argument);
        using var tshark = Process.Start(start)!;
        var output = tshark.StandardOutput.ReadToEndAsync();
        var error = tshark.StandardError.ReadToEnd();
        tshark.WaitForExit();
        Assert.True(tshark.ExitCode == 0, error);
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void WritePacket_UnknownInterface_Throws()
    {
        using var stream = new MemoryStream();
        var writer = new PcapNgWriter(stream);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WritePacket(0, 0, new byte[1], 1));
    }
}

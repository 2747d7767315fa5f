using NetDashboard.Lab.Model;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Capture.Correlation;
using PacketDotNet;
using Xunit.Abstractions;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>
/// Issue 17, item 4: the decoder reads only the bytes captured. Each frame is decoded from a slot where it was written
/// over a stale packet (<see cref="PoisonedSlots"/>), and again from an array of exactly its bytes: the two must be
/// equal, and no row may show the stale packet's values, a negative length or a failure inside the decoder. Every
/// run draws the same frames; a failure names the seed and each failing frame's bytes in hex.
/// </summary>
public sealed partial class DecoderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 17_04;
    private const int RandomFrames = 40_000, MutatedFrames = 60_000, HeaderFrames = 40_000, DetailFrames = 10_000, OtherLinkFrames = 4_000;

    [Fact]
    public void Summarize_RandomFrames_RowReadsOnlyTheFrame()
    {
        var fuzzer = new FrameFuzzer(Seed);
        Fuzz(Seed, RandomFrames, fuzzer.RandomFrame);
    }

    [Fact]
    public void Summarize_MutatedFrames_RowReadsOnlyTheFrame()
    {
        var fuzzer = new FrameFuzzer(Seed + 1);
        Fuzz(Seed + 1, MutatedFrames, fuzzer.MutatedFrame);
    }

    [Fact]
    public void Summarize_EveryCutOfEverySeed_MalformedWhenTheHeadersClaimMoreNotForTheSnapLength()
    {
        var clock = Stopwatch.StartNew();
        var rows = new RowChecker(Seed, LinkLayers.Ethernet);
        foreach (var seed in FrameFuzzer.Seeds)
        {
            var whole = rows.Check(new FuzzFrame($"seed '{seed.Name}'", seed.Data, seed.WireLength));
            var claimed = ClaimedLength(seed.Data);
            for (var cut = 0; cut < seed.Data.Length; cut++)
            {
                var bytes = seed.Data[..cut];
                // Captured as sent: the headers claim bytes the packet does not have, and tcpdump says so.
                var sentShort = new FuzzFrame($"'{seed.Name}' cut to {cut}, claims {claimed}", bytes, cut);
                if (rows.Check(sentShort) is { Malformed: false } row && cut < claimed)
                    rows.Findings.Add(sentShort, $"not malformed, though its headers claim {claimed} bytes: {row}");
                // Cut by the snap length: what is missing was sent, so only what the whole frame has wrong may show.
                var snapped = new FuzzFrame($"'{seed.Name}' cut by the snap length to {cut}", bytes, Math.Max(seed.WireLength, seed.Data.Length));
                if (rows.Check(snapped) is { Malformed: true } cutRow && whole is { Malformed: false })
                    rows.Findings.Add(snapped, $"malformed, though only the snap length cut it and the whole frame is not: {cutRow}");
            }
        }
        Report("every cut of every seed", Seed, rows.Checked, clock);
        rows.Findings.AssertNone(rows.Checked);
    }

    [Fact]
    public void TryRead_RandomAndMutatedFrames_SameHeadersFromTheSlotAsFromTheFrameAlone()
    {
        var clock = Stopwatch.StartNew();
        var fuzzer = new FrameFuzzer(Seed + 2);
        var slots = new PoisonedSlots();
        var findings = new Findings(Seed + 2);
        for (var i = 0; i < HeaderFrames; i++)
        {
            var frame = i % 2 == 0 ? fuzzer.RandomFrame(i) : fuzzer.MutatedFrame(i);
            slots.Place(frame.Data);
            // As the capture worker reads it: the slot's captured bytes.
            var fromSlot = ObservedPacket.Read(i, 0, slots.Buffer.AsSpan(slots.Offset, frame.Data.Length));
            var alone = ObservedPacket.Read(i, 0, frame.Data.ToArray());
            if (!fromSlot.Headers.Equals(alone.Headers) || fromSlot.InvariantKey != alone.InvariantKey || !fromSlot.Tuple.Equals(alone.Tuple))
                findings.Add(frame, "the correlation keys differ from those of the frame alone");
            else if (fromSlot.Headers.PayloadLength < 0)
                findings.Add(frame, $"payload length {fromSlot.Headers.PayloadLength}");
        }
        Report("correlation headers", Seed + 2, HeaderFrames, clock);
        findings.AssertNone(HeaderFrames);
    }

    [Fact]
    public void Decode_RandomAndMutatedFrames_HexDumpIsTheFrameAndNoFieldIsNegative()
    {
        var clock = Stopwatch.StartNew();
        var fuzzer = new FrameFuzzer(Seed + 3);
        var findings = new Findings(Seed + 3);
        for (var i = 0; i < DetailFrames; i++)
        {
            // The detail pane decodes the store's copy of the captured bytes: an array of exactly the frame.
            var frame = i % 2 == 0 ? fuzzer.RandomFrame(i) : fuzzer.MutatedFrame(i);
            PacketDetail detail;
            try
            {
                detail = PacketDetails.Decode(i, frame.Data.ToArray());
            }
            catch (Exception e)
            {
                findings.Add(frame, $"Decode threw {e}");
                continue;
            }
            var dumped = Convert.FromHexString(string.Concat(detail.Hex.Select(line => line.Hex.Replace(" ", "", StringComparison.Ordinal))));
            if (!dumped.AsSpan().SequenceEqual(frame.Data))
                findings.Add(frame, $"the hex dump has {dumped.Length} bytes, not the frame's");
            else if (detail.Layers.SelectMany(layer => layer.Fields).FirstOrDefault(field => field.Value.StartsWith('-')) is { } negative)
                findings.Add(frame, $"{negative.Name} {negative.Value}");
        }
        Report("packet details", Seed + 3, DetailFrames, clock);
        findings.AssertNone(DetailFrames);
    }

    [Theory]
    [InlineData(LinkLayers.Raw)]
    [InlineData(LinkLayers.Null)]
    [InlineData(LinkLayers.LinuxSll)]
    public void Summarize_OtherLinkTypes_RowReadsOnlyTheFrame(LinkLayers linkType)
    {
        var fuzzer = new FrameFuzzer(Seed + 4);
        Fuzz(Seed + 4, OtherLinkFrames, i => Relinked(i % 2 == 0 ? fuzzer.RandomFrame(i) : fuzzer.MutatedFrame(i), linkType), linkType);
    }

    private void Fuzz(int seed, int count, Func<int, FuzzFrame> next, LinkLayers linkType = LinkLayers.Ethernet)
    {
        var clock = Stopwatch.StartNew();
        var rows = new RowChecker(seed, linkType);
        for (var i = 0; i < count; i++)
            rows.Check(next(i));
        Report($"{linkType} rows", seed, count, clock);
        rows.Findings.AssertNone(count);
    }

    private void Report(string what, int seed, int frames, Stopwatch clock) =>
        output.WriteLine($"{what}: seed {seed}, {frames} frames in {clock.Elapsed.TotalSeconds:F2} s");

    /// <summary>The frame's IP packet behind another link type's header (raw IP, BSD loopback, Linux cooked), or its bytes as they are.</summary>
    private static FuzzFrame Relinked(FuzzFrame frame, LinkLayers linkType)
    {
        var data = frame.Data;
        if (data.Length < 14)
            return frame;
        var type = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(12));
        var ip = data[14..];
        byte[] relinked = linkType switch
        {
            LinkLayers.Raw => ip,
            // BSD loopback: the address family in the host's byte order, AF_INET 2 or (BSD's) AF_INET6 24.
            LinkLayers.Null => [(byte)(type == 0x86dd ? 24 : 2), 0, 0, 0, .. ip],
            // Linux cooked: packet type, ARPHRD_ETHER, the 6-byte source address padded to 8, the ethertype.
            _ => [0, 0, 0, 1, 0, 6, .. data.AsSpan(6, 6), 0, 0, .. data.AsSpan(12, 2), .. ip],
        };
        return new FuzzFrame($"{frame.Origin}, as {linkType}", relinked, relinked.Length + frame.WireLength - data.Length);
    }

    /// <summary>
    /// How many bytes a frame's headers say it has: its link header, then IPv4's total length (at least its 20-byte
    /// header), IPv6's 40-byte header and payload length, or ARP's addresses; one byte of a network header whose
    /// version does not match its ethertype, enough to say so.
    /// </summary>
    private static int ClaimedLength(byte[] frame)
    {
        var at = 14;
        if (frame.Length < at)
            return at;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        while (type is 0x8100 or 0x88a8)
        {
            if (frame.Length < at + 4)
                return at + 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at + 2));
            at += 4;
        }
        if (type is not (0x0800 or 0x86dd or 0x0806))
            return at;
        if (frame.Length < at + 6)
            return at + 1;
        return type switch
        {
            0x0800 when frame[at] >> 4 == 4 => at + Math.Max(20, (int)BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at + 2))),
            0x86dd when frame[at] >> 4 == 6 => at + 40 + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at + 4)),
            0x0806 => at + 8 + 2 * (frame[at + 4] + frame[at + 5]),
            _ => at + 1,
        };
    }

    /// <summary>
    /// What tcpdump says of a frame sent as captured (not cut by the snap length), where its Ethernet and IP headers
    /// alone decide it: a frame shorter than its Ethernet header, an IP header cut, an IP length past the frame. Null
    /// for everything else.
    /// </summary>
    private static string? ExpectedComplaint(FuzzFrame frame)
    {
        var data = frame.Data;
        if (frame.WireLength != data.Length)
            return null;
        if (data.Length < 14)
            return "[|ether]";
        var type = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(12));
        var ip = data.Length - 14;
        var version = ip > 0 ? data[14] >> 4 : 0;
        switch (type)
        {
            case 0x0800 when ip < 20 && (ip == 0 || version == 4):
                return "[|ip]";
            case 0x0800 when ip >= 20 && version == 4 && (data[14] & 0x0f) >= 5:
                var total = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(16));
                return total > ip ? $"truncated-ip - {total - ip} bytes missing!" : null;
            case 0x86dd when ip < 40:
                return "[|ip6]";
            case 0x86dd when version == 6:
                var payload = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(18));
                return payload > 0 && 40 + payload > ip ? $"truncated-ip6 - {40 + payload - ip} bytes missing!" : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// A negative number where tcpdump prints a length: "length -4134304", "(len -8)", "caplen(-3)", "truncated-ip -5",
    /// "frag (0|-8)", "bad length 9 > -1", "- -5 bytes missing!", a DNS line's "(-12)".
    /// </summary>
    [GeneratedRegex(@"(?:\blen(?:gth)?|hlen|caplen\(|header length\(|truncated-\w+|\||>) ?-\d|- -\d|\(-\d+\)$")]
    private static partial Regex NegativeLength();

    /// <summary>Decodes frames from a poisoned slot and alone, as the capture worker does, and keeps what is wrong.</summary>
    private sealed class RowChecker(int seed, LinkLayers linkType)
    {
        private readonly PoisonedSlots _slots = new();
        // tcpdump's relative sequence numbers carry from packet to packet: each decoding keeps its own.
        private readonly TcpSequences _slotSequences = new(), _aloneSequences = new();

        public Findings Findings { get; } = new(seed);
        public int Checked { get; private set; }

        /// <returns>The row from the slot; null when it could not be made.</returns>
        public PacketRow? Check(FuzzFrame frame)
        {
            var sequence = Checked++;
            _slots.Place(frame.Data);
            PacketRow fromSlot;
            try
            {
                fromSlot = PacketSummarizer.Summarize(sequence, 0, frame.WireLength, _slots.Buffer, _slots.Offset, frame.Data.Length, linkType, default, _slotSequences);
            }
            catch (Exception e)
            {
                Findings.Add(frame, $"Summarize threw {e}");
                return null;
            }
            var alone = PacketSummarizer.Summarize(sequence, 0, frame.WireLength, frame.Data.ToArray(), 0, frame.Data.Length, linkType, default, _aloneSequences);
            if (Problem(frame, fromSlot, alone) is { } problem)
                Findings.Add(frame, problem);
            return fromSlot;
        }

        private string? Problem(FuzzFrame frame, PacketRow fromSlot, PacketRow alone)
        {
            var slotText = Text(fromSlot);
            var aloneText = Text(alone);
            foreach (var signature in PoisonedSlots.Signatures)
                if (Count(slotText, signature) > Count(aloneText, signature))
                    return $"shows '{signature}' of the stale packet around the frame: {fromSlot}";
            if (!fromSlot.Equals(alone))
                return $"differs from the row of the frame alone\n    slot:  {fromSlot}\n    alone: {alone}";
            // On Ethernet the decoder reads every byte itself, so a reason of its own is an exception it threw. On other
            // link types PacketDotNet finds the IP header, and what it cannot read there is the row's reason.
            if (linkType == LinkLayers.Ethernet && fromSlot.Info.StartsWith("malformed: ", StringComparison.Ordinal))
                return $"the decoder failed: {fromSlot.Info}";
            if (NegativeLength().Match(fromSlot.Info) is { Success: true } negative)
                return $"negative length '{negative.Value}': {fromSlot.Info}";
            if (linkType == LinkLayers.Ethernet && ExpectedComplaint(frame) is { } words && !(fromSlot.Malformed && fromSlot.Info.Contains(words, StringComparison.Ordinal)))
                return $"tcpdump says '{words}'; the row (malformed {fromSlot.Malformed}) says: {fromSlot.Info}";
            return null;
        }

        private static string Text(PacketRow row) =>
            string.Join('\n', row.SourceMac, row.DestinationMac, row.Source, row.Destination, row.Protocol, row.Info);

        private static int Count(string text, string value)
        {
            var count = 0;
            for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
                count++;
            return count;
        }
    }

    /// <summary>How many frames were wrong, and the first few with what was wrong, the seed and their bytes.</summary>
    private sealed class Findings(int seed)
    {
        private const int Shown = 10;
        private readonly List<string> _first = [];
        private int _count;

        public void Add(FuzzFrame frame, string problem)
        {
            if (_count++ < Shown)
                _first.Add($"{problem}\n    frame: {frame}");
        }

        public void AssertNone(int frames) =>
            Assert.True(_count == 0, $"seed {seed}: {_count} of {frames} frames wrong; the first:\n{string.Join("\n", _first)}");
    }
}

using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Capture;
using PacketDotNet;
using Xunit.Abstractions;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>
/// The rows against tcpdump itself (issue 16): the corpus is written to a pcapng file, `tcpdump -n -t -r` prints it
/// (-t drops the timestamp, which a row keeps in its own column; without -e tcpdump prints no link-layer header, and
/// neither does a row's info), and every packet's row must read as tcpdump's line.
/// </summary>
public sealed class TcpdumpDifferentialTests(ITestOutputHelper output)
{
    /// <summary>Where tcpdump's line has more lines than the row, and why the row does not.</summary>
    private const string HexDumpReason = "tcpdump adds a hex dump of a payload it cannot decode on lines of their own; a row is one line, and the detail pane has the hex dump";

    /// <summary>Where a row may differ, and why. Anything else that differs counts as wrong.</summary>
    private static readonly Dictionary<string, string> Accepted = new()
    {
    };

    [Fact]
    public async Task Summarize_CorpusAgainstTcpdump_AtLeast98PercentIdenticalNoneWrong()
    {
        var corpus = TcpdumpCorpus.Build();
        var lines = await TcpdumpLinesAsync(corpus);
        Assert.True(corpus.Count == lines.Count, $"tcpdump printed {lines.Count} lines for {corpus.Count} packets:\n{string.Join("\n", lines)}");

        var sequences = new TcpSequences();
        int identical = 0, accepted = 0;
        var wrong = new List<string>();
        for (var i = 0; i < corpus.Count; i++)
        {
            var packet = corpus[i];
            var row = PacketSummarizer.Summarize(i, 1_700_000_000_000_000 + i, packet.WireLength, packet.Data, 0, packet.Data.Length,
                LinkLayers.Ethernet, default, sequences);
            if (row.Info == lines[i])
                identical++;
            else if (row.Info == lines[i].Split('\n')[0])
            {
                accepted++;
                output.WriteLine($"accepted #{i} {packet.Name} ({HexDumpReason}): {row.Info}");
            }
            else if (Accepted.TryGetValue(packet.Name, out var reason))
            {
                accepted++;
                output.WriteLine($"accepted #{i} {packet.Name} ({reason})\n  tcpdump: {lines[i]}\n  row:     {row.Info}");
            }
            else
                wrong.Add($"#{i} {packet.Name}\n  tcpdump: {lines[i]}\n  row:     {row.Info}");
        }
        foreach (var line in wrong)
            output.WriteLine("WRONG " + line);
        var percent = 100.0 * identical / corpus.Count;
        output.WriteLine($"tcpdump differential: {identical}/{corpus.Count} identical ({percent:F1} %), {wrong.Count} wrong, {accepted} accepted");

        Assert.Empty(wrong);
        Assert.True(percent >= 98, $"{percent:F1} % identical, below 98 %");
    }

    [Fact]
    public async Task Summarize_CorpusAgainstTcpdump_MalformedExactlyWhereTcpdumpComplains()
    {
        var corpus = TcpdumpCorpus.Build();
        var lines = await TcpdumpLinesAsync(corpus);
        var sequences = new TcpSequences();
        var disagreements = new List<string>();
        for (var i = 0; i < corpus.Count; i++)
        {
            var packet = corpus[i];
            var row = PacketSummarizer.Summarize(i, 0, packet.WireLength, packet.Data, 0, packet.Data.Length, LinkLayers.Ethernet, default, sequences);
            // A packet cut by the snap length is not malformed: tcpdump's "[|proto]" there says only where the bytes end.
            var complains = packet.WireLength == packet.Data.Length && Complaints.Any(lines[i].Contains);
            if (row.Malformed != complains)
                disagreements.Add($"#{i} {packet.Name}: malformed {row.Malformed}, tcpdump: {lines[i]}");
        }
        Assert.Empty(disagreements);
        Assert.Contains(corpus.Select((p, i) => (p, i)), x => x.p.Name == "24-byte frame");
    }

    /// <summary>What tcpdump prints for a packet that is not what it says it is.</summary>
    private static readonly string[] Complaints = ["[|", "truncated-ip", "bad-hlen", "bad-len", "[bad hdr length", "[bad opt]", "(invalid)", "IP5", "wrong link-layer", "bad length", "truncated-udp", "version error"];

    /// <summary>tcpdump's line for each packet, in order (continuation lines, a hex dump starting with a tab, joined to theirs).</summary>
    private static async Task<IReadOnlyList<string>> TcpdumpLinesAsync(IReadOnlyList<CorpusPacket> corpus)
    {
        var file = Path.Combine(Path.GetTempPath(), $"netdash-tcpdump-{Guid.NewGuid():N}.pcapng");
        try
        {
            await using (var stream = File.Create(file))
            {
                var writer = new PcapNgWriter(stream);
                var id = writer.AddInterface("corpus", 1, 65535);
                for (var i = 0; i < corpus.Count; i++)
                    writer.WritePacket(id, 1_700_000_000_000_000 + i, corpus[i].Data, corpus[i].WireLength);
            }
            var result = await Cli.Wrap("tcpdump").WithArguments(["-n", "-t", "-r", file]).ExecuteBufferedAsync();
            var lines = new List<string>();
            foreach (var line in result.StandardOutput.Split('\n'))
            {
                if (line.Length == 0) continue;
                if (line[0] == '\t' && lines.Count > 0)
                    lines[^1] += "\n" + line;
                else
                    lines.Add(line);
            }
            return lines;
        }
        finally
        {
            File.Delete(file);
        }
    }
}

using System.Text;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

public sealed class AgentLineReaderTests
{
    private static async Task<List<AgentLine>> ReadAllAsync(Stream stream, int maxLineBytes = 1024)
    {
        var reader = new AgentLineReader(stream, maxLineBytes);
        var lines = new List<AgentLine>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(line);
        return lines;
    }

    private static Stream Bytes(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    // The known exploit: a command prints "\rNETDASH-END <id> 0"; a reader that also splits on '\r' sees an END line.
    [Fact]
    public async Task ReadLine_CarriageReturnInLine_KeptAsDataNotALineBreak()
    {
        var lines = await ReadAllAsync(Bytes("| \rNETDASH-END 1a2b 0\nNETDASH-END 1a2b 7 n0nce\n"));

        Assert.Equal(["| \rNETDASH-END 1a2b 0", "NETDASH-END 1a2b 7 n0nce"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadLine_LongerThanCap_CutThereAndRestOfLineSkipped()
    {
        var lines = await ReadAllAsync(Bytes("0123456789abcdef\nnext\n"), maxLineBytes: 8);

        Assert.Equal([new AgentLine("01234567", Cut: true), new AgentLine("next", Cut: false)], lines);
    }

    // A guest that never sends '\n' costs the cap, not its whole output.
    [Fact]
    public async Task ReadLine_TenMebibytesWithoutNewline_OneCutLineOfTheCap()
    {
        var lines = await ReadAllAsync(new MemoryStream(new byte[10 * 1024 * 1024]), maxLineBytes: 4096);

        var line = Assert.Single(lines);
        Assert.True(line.Cut);
        Assert.Equal(4096, line.Text.Length);
    }

    [Fact]
    public async Task ReadLine_BytesArriveOneAtATime_SameLinesAndCharacters()
    {
        var lines = await ReadAllAsync(new OneByteAtATime(Encoding.UTF8.GetBytes("| é ✓\nNETDASH-END x 0 n\n")));

        Assert.Equal(["| é ✓", "NETDASH-END x 0 n"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadLine_LastLineWithoutNewline_ReturnedThenEnd()
    {
        var lines = await ReadAllAsync(Bytes("one\ntwo"));

        Assert.Equal(["one", "two"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task ReadLine_EmptyLines_ReturnedEmpty()
    {
        var lines = await ReadAllAsync(Bytes("\n\n| \n"));

        Assert.Equal(["", "", "| "], lines.Select(l => l.Text));
    }

    /// <summary>A stream that hands out one byte per read, as a slow serial port may.</summary>
    private sealed class OneByteAtATime(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}

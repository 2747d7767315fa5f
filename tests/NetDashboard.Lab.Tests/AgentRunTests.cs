using System.Text;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

public sealed class AgentRunTests
{
    private const string Id = "1a2b3c";
    private const string Nonce = "0123456789abcdef0123456789abcdef";

    private static AgentRun Run(string command = "true") => new(command, Id, Nonce);

    private static AgentLine Line(string text, bool cut = false) => new(text, cut);

    /// <summary>Feeds the lines in order; the exit code of the first that ends the run, or null.</summary>
    private static int? Hear(AgentRun run, params string[] lines) =>
        lines.Select(l => run.Hear(Line(l))).FirstOrDefault(code => code is not null);

    [Fact]
    public void RunRequest_Command_IdBase64AndNonce()
    {
        var words = Run("echo hi").RunRequest.Split(' ');

        Assert.Equal(["NETDASH-RUN", Id, Convert.ToBase64String("echo hi"u8), Nonce], words);
    }

    [Fact]
    public void For_TwoRuns_Fresh128BitHexNonces()
    {
        var nonces = new[] { AgentRun.For("true", "a"), AgentRun.For("true", "b") }.Select(r => r.RunRequest.Split(' ')[3]).ToList();

        Assert.All(nonces, n => Assert.Matches("^[0-9A-F]{32}$", n));
        Assert.NotEqual(nonces[0], nonces[1]);
    }

    [Fact]
    public void Hear_EndWithNonce_ExitCodeAndOutput()
    {
        var run = Run();

        var exitCode = Hear(run, $"NETDASH-BEGIN {Id}", "| hello", "| world", $"NETDASH-END {Id} 3 {Nonce}");

        Assert.Equal(3, exitCode);
        Assert.Equal("hello\nworld\n", run.Output);
        Assert.False(run.OutputTruncated);
    }

    // The command read its id from /run/netdash-agent/busy and printed an END; it then exits 7.
    [Theory]
    [InlineData($"NETDASH-END {Id} 0")]
    [InlineData($"NETDASH-END {Id} 0 ")]
    [InlineData($"NETDASH-END {Id} 0 wrong")]
    [InlineData($"NETDASH-END {Id} 0 {Nonce} extra")]
    [InlineData($"| \rNETDASH-END {Id} 0 {Nonce}")]
    public void Hear_EndWithoutTheNonce_NotTheEnd(string forged)
    {
        var run = Run();

        Assert.Null(Hear(run, $"NETDASH-BEGIN {Id}", forged));
        Assert.Equal(7, Hear(run, $"NETDASH-END {Id} 7 {Nonce}"));
    }

    [Fact]
    public void Hear_EndOfAnotherId_NotTheEnd() =>
        Assert.Null(Hear(Run(), $"NETDASH-END other 0 {Nonce}"));

    [Theory]
    [InlineData("-1")]
    [InlineData("+0")]
    [InlineData("x")]
    public void Hear_EndWithBadExitCode_NotTheEnd(string code) =>
        Assert.Null(Hear(Run(), $"NETDASH-END {Id} {code} {Nonce}"));

    [Fact]
    public void Hear_ErrorBeforeBegin_RefusedWithReason()
    {
        var error = Assert.Throws<GuestCommandException>(() => Hear(Run(), $"NETDASH-ERROR {Id} busy"));

        Assert.Contains("busy", error.Message);
    }

    // Once the command runs, an ERROR line can only be something it wrote to the port itself.
    [Fact]
    public void Hear_ErrorAfterBegin_Ignored() =>
        Assert.Null(Hear(Run(), $"NETDASH-BEGIN {Id}", $"NETDASH-ERROR {Id} busy"));

    [Fact]
    public void Hear_TruncatedWithNonce_OutputTruncated()
    {
        var run = Run();

        Hear(run, $"NETDASH-BEGIN {Id}", "| a", $"NETDASH-TRUNCATED {Id} 3145728 {Nonce}");

        Assert.True(run.OutputTruncated);
    }

    [Fact]
    public void Hear_TruncatedWithoutNonce_NotTruncated()
    {
        var run = Run();

        Hear(run, $"NETDASH-BEGIN {Id}", "| a", $"NETDASH-TRUNCATED {Id} 3145728");

        Assert.False(run.OutputTruncated);
    }

    [Fact]
    public void Hear_LinesWithoutPrefix_NotOutput()
    {
        var run = Run();

        Hear(run, "", "noise", "|no-space", $"NETDASH-BEGIN {Id}", "| kept");

        Assert.Equal("kept\n", run.Output);
    }

    [Fact]
    public void Hear_OutputPastTheCap_KeepsAtMostTheCapAndTruncated()
    {
        var run = Run();
        var line = "| " + new string('a', 99);

        for (var i = 0; i < 20_000; i++)
            run.Hear(Line(line));

        Assert.True(run.OutputTruncated);
        Assert.Equal(AgentRun.MaxOutputBytes, Encoding.UTF8.GetByteCount(run.Output));
    }

    // The agent ends an unterminated last line with '\n': a full 1 MiB output is not cut for it.
    [Fact]
    public void Hear_ExactlyTheCapWithoutFinalNewline_KeptWholeNotTruncated()
    {
        var run = Run();
        var text = new string('a', AgentRun.MaxOutputBytes);

        run.Hear(Line("| " + text));

        Assert.False(run.OutputTruncated);
        Assert.Equal(text, run.Output);
    }

    [Fact]
    public void Hear_MultibyteCharactersAtTheCap_WholeCharactersOnly()
    {
        var run = Run();

        run.Hear(Line("| " + new string('a', AgentRun.MaxOutputBytes - 1) + "é"));

        Assert.True(run.OutputTruncated);
        Assert.Equal(new string('a', AgentRun.MaxOutputBytes - 1), run.Output);
    }

    [Fact]
    public void Hear_LineCutByTheReader_Truncated()
    {
        var run = Run();

        run.Hear(Line("| aaaa", cut: true));

        Assert.True(run.OutputTruncated);
    }

    [Fact]
    public void EndsCancel_EndWithNonceOrNotRunning_True()
    {
        var run = Run();

        Assert.True(run.EndsCancel(Line($"NETDASH-END {Id} 137 {Nonce}")));
        Assert.True(run.EndsCancel(Line($"NETDASH-ERROR {Id} not-running")));
        Assert.False(run.EndsCancel(Line($"NETDASH-END {Id} 137")));
        Assert.False(run.EndsCancel(Line($"| NETDASH-END {Id} 137 {Nonce}")));
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NetDashboard.Lab.Vms;

/// <summary>
/// One command's exchange with the guest's agent: the RUN line to send, and what each line heard back means. The run
/// ends only on an END line that carries its nonce, a random token the agent keeps in memory and never in a file, so
/// nothing a command prints (or writes to the port itself) can end it early or set its exit code.
/// </summary>
internal sealed class AgentRun(string command, string id, string nonce)
{
    /// <summary>The most output kept of one command, as the agent caps it too.</summary>
    public const int MaxOutputBytes = 1024 * 1024;

    /// <summary>The longest line worth reading: an output line of the whole capped output and its prefix.</summary>
    public const int MaxLineBytes = MaxOutputBytes + 64;

    private const string OutputPrefix = "| ";
    private readonly StringBuilder _output = new();
    private int _lines;
    private int _outputBytes;
    private bool _begun;

    /// <summary>A run of <paramref name="command"/> under a fresh 128-bit nonce.</summary>
    public static AgentRun For(string command, string id) => new(command, id, RandomNumberGenerator.GetHexString(32));

    public string RunRequest => $"NETDASH-RUN {id} {Convert.ToBase64String(Encoding.UTF8.GetBytes(command))} {nonce}";

    public string CancelRequest => $"NETDASH-CANCEL {id}";

    /// <summary>The output so far, at most <see cref="MaxOutputBytes"/> (UTF-8); its last line ended by '\n' if that fits too.</summary>
    public string Output => _lines > 0 && _outputBytes < MaxOutputBytes ? $"{_output}\n" : _output.ToString();

    /// <summary>True when the command printed more than was kept.</summary>
    public bool OutputTruncated { get; private set; }

    /// <summary>Takes in one line; returns the exit code once the run's END is heard. Throws when the agent refused the command.</summary>
    public int? Hear(AgentLine line)
    {
        if (line.Text.StartsWith(OutputPrefix, StringComparison.Ordinal))
        {
            Keep(line.Text.AsSpan(OutputPrefix.Length), line.Cut);
            return null;
        }
        switch (line.Text.Split(' '))
        {
            case ["NETDASH-BEGIN", var begun] when begun == id:
                _begun = true;
                return null;
            case ["NETDASH-TRUNCATED", var truncated, _, var token] when truncated == id && token == nonce:
                OutputTruncated = true;
                return null;
            case ["NETDASH-END", var ended, var code, var token] when ended == id && token == nonce
                                                                     && int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var exitCode):
                return exitCode;
            // An ERROR answers a RUN instead of BEGIN; once running, such a line can only come from the command.
            case ["NETDASH-ERROR", var refused, var reason] when refused == id && !_begun:
                throw new GuestCommandException($"the guest refused the command: {reason}");
            default:
                return null;
        }
    }

    /// <summary>True for the line that ends a cancelled run: its END, or word that nothing was running any more.</summary>
    public bool EndsCancel(AgentLine line) =>
        line.Text.Split(' ') is ["NETDASH-END", var ended, _, var token] && ended == id && token == nonce
        || line.Text == $"NETDASH-ERROR {id} not-running";

    // Lines are joined as they come and the last one ended on reading: the guest's own bytes count against the cap,
    // never the '\n' the agent adds to end an unterminated last line.
    private void Keep(ReadOnlySpan<char> text, bool cut)
    {
        var separator = _lines++ > 0 ? 1 : 0;
        var room = MaxOutputBytes - _outputBytes - separator;
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (cut || bytes > room)
            OutputTruncated = true;
        if (room < 0)
            return;
        if (separator > 0)
            _output.Append('\n');
        if (bytes > room)
        {
            _output.Append(text[..CharsWithin(text, room)]);
            _outputBytes = MaxOutputBytes;
        }
        else
        {
            _output.Append(text);
            _outputBytes += separator + bytes;
        }
    }

    // Whole characters only: as many as fit in the bytes left.
    private static int CharsWithin(ReadOnlySpan<char> text, int bytes)
    {
        var chars = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if ((bytes -= rune.Utf8SequenceLength) < 0) break;
            chars += rune.Utf16SequenceLength;
        }
        return chars;
    }
}

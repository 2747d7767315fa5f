using System.Text;

namespace NetDashboard.Lab.Vms;

/// <summary>A line the guest's agent sent, without its '\n'; <see cref="Cut"/> when it was longer than the reader keeps.</summary>
internal readonly record struct AgentLine(string Text, bool Cut);

/// <summary>
/// Reads the agent's lines, split on '\n' only: a '\r' in a command's output is data, and must never start a line that
/// could pass for the agent's own. A line longer than <paramref name="maxLineBytes"/> is cut there and the rest of it
/// skipped, so memory stays bounded whatever the guest sends.
/// </summary>
internal sealed class AgentLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _chunk = new byte[16 * 1024];
    private readonly MemoryStream _line = new();
    private int _next;
    private int _filled;
    private bool _cut;

    /// <summary>The next line, or null once the stream has ended (after a last line without '\n').</summary>
    public async Task<AgentLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        _line.SetLength(0);
        _cut = false;
        while (!TakeLine())
        {
            _next = 0;
            _filled = await stream.ReadAsync(_chunk, cancellationToken);
            if (_filled == 0)
                return _line.Length > 0 || _cut ? Line() : null;
        }
        return Line();
    }

    // Moves the buffered bytes up to the next '\n' into the line; true when the line is complete.
    private bool TakeLine()
    {
        var pending = _chunk.AsSpan(_next, _filled - _next);
        var end = pending.IndexOf((byte)'\n');
        var part = end < 0 ? pending : pending[..end];
        var room = maxLineBytes - (int)_line.Length;
        _cut |= part.Length > room;
        _line.Write(part[..Math.Min(part.Length, room)]);
        _next += end < 0 ? pending.Length : end + 1;
        return end >= 0;
    }

    private AgentLine Line() => new(Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)_line.Length), _cut);
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using Microsoft.Extensions.Logging;

namespace NetDashboard.Lab.Events;

/// <summary>
/// A lab's journal followed from its file, so what another process journals (the CLI, another dashboard) shows too:
/// each look reads only the bytes appended since the last, whole lines only (a writer may be mid-line), parses them with
/// the journal's own parser and appends a <see cref="JournalAppended"/> for each entry; a file that got shorter (the lab
/// was removed and made again) is read from its start after a <see cref="JournalRestarted"/>.
/// </summary>
internal sealed class JournalTail
{
    private readonly Journal _journal;
    private readonly EventRing<LabEvent> _ring;
    private readonly string _lab;
    private readonly ILogger _logger;
    private long _offset;
    private long _lines;

    /// <summary>Follows from the journal's end now: what it holds already, a viewer reads a page at a time.</summary>
    public JournalTail(string lab, Journal journal, EventRing<LabEvent> ring, ILogger logger)
    {
        _lab = lab;
        _journal = journal;
        _ring = ring;
        _logger = logger;
        if (!File.Exists(journal.Path)) return;
        using var file = File.OpenHandle(journal.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        (_lines, _offset) = Journal.CountLines(file);
    }

    /// <summary>Appends an event for each entry appended since the last look, and returns those entries (output uncut).</summary>
    public IReadOnlyList<JournalEntry> Follow()
    {
        var path = _journal.Path;
        var length = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (length < _offset)
        {
            _offset = 0;
            _lines = 0;
            _ring.Append(new JournalRestarted());
        }
        if (length == _offset) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(_offset, SeekOrigin.Begin);
        var bytes = new byte[length - _offset];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        var entries = new List<JournalEntry>();
        var consumed = 0;
        for (var newline = Array.IndexOf(bytes, (byte)'\n', 0, read); newline >= 0; newline = Array.IndexOf(bytes, (byte)'\n', consumed, read - consumed))
        {
            var line = bytes.AsSpan(consumed, newline - consumed);
            consumed = newline + 1;
            // Numbered as the journal counts its lines (Journal.CountLines): every line, an empty one too.
            if (Journal.Parse(line) is { } entry)
            {
                entries.Add(entry);
                _ring.Append(new JournalAppended(_lines, entry.WithOutputCut(JournalAppended.ShownOutputChars)));
            }
            else if (!line.IsEmpty)
            {
                // A line edited by hand is skipped, not retried forever.
                _logger.FollowFailed(_lab, $"journal line {_lines + 1} is not an entry");
            }
            _lines++;
        }
        _offset += consumed;
        return entries;
    }
}

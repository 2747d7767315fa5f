using NetDashboard.Lab.Model;
using Microsoft.Win32.SafeHandles;

namespace NetDashboard.Lab.Runtime;

// Reading a journal: all of it, one entry at a time (a script, the CLI), or a page from its end (the page, the API),
// so no reader holds more than it shows.
public sealed partial class Journal
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Every entry, oldest first, read as enumerated; lines that are not an entry are skipped.</summary>
    public IEnumerable<JournalEntry> Read()
    {
        if (!File.Exists(Path)) yield break;
        foreach (var line in File.ReadLines(Path))
        {
            if (line.Length > 0 && Parse(line) is { } entry)
                yield return entry;
        }
    }

    public IReadOnlyList<JournalEntry> ReadAll() => Read().ToList();

    /// <summary>
    /// The entries after the newest <paramref name="skip"/>, at most <paramref name="take"/>, newest first, read from the
    /// file's end. A line that is not an entry (cut short by a full disk) keeps its place as a remark that says so.
    /// </summary>
    public JournalPage ReadPage(int skip, int take)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        if (!File.Exists(Path)) return new JournalPage(0, skip, []);
        using var file = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var (total, end) = CountLines(file);
        var entries = new List<JournalEntry>(Math.Min(take, Math.Max(0, total - skip)));
        var backwards = new BackwardReader(file);
        // lineEnd: where the current line's '\n' is; a line that a writer has not ended yet is not read.
        var lineEnd = end - 1;
        for (var index = 0; lineEnd >= 0 && entries.Count < take; index++)
        {
            var newline = backwards.LastNewlineBefore(lineEnd);
            if (index >= skip)
            {
                var bytes = new byte[lineEnd - newline - 1];
                RandomAccess.Read(file, bytes, newline + 1);
                entries.Add(Parse(bytes) ?? Unreadable(index));
            }
            lineEnd = newline;
        }
        return new JournalPage(total, skip, entries);
    }

    /// <summary>How many entries the journal holds (its whole lines).</summary>
    public int Count()
    {
        if (!File.Exists(Path)) return 0;
        using var file = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return CountLines(file).Lines;
    }

    // Whole lines and the offset just past the last one (where a follower of the journal starts).
    internal static (int Lines, long End) CountLines(SafeFileHandle file)
    {
        var buffer = new byte[ChunkBytes];
        long position = 0, end = 0;
        var lines = 0;
        int read;
        while ((read = RandomAccess.Read(file, buffer, position)) > 0)
        {
            var chunk = buffer.AsSpan(0, read);
            lines += chunk.Count((byte)'\n');
            if (chunk.LastIndexOf((byte)'\n') is var last and >= 0)
                end = position + last + 1;
            position += read;
        }
        return (lines, end);
    }

    private JournalEntry Unreadable(int index) => new()
    {
        Time = DateTimeOffset.MinValue,
        Who = "host",
        Namespace = "",
        Argv = [],
        Tutorial = $"# (line {index + 1} from the end of {System.IO.Path.GetFileName(Path)} is not an entry: cut short or edited)",
        Remark = true,
        Replayable = false,
        ExitCode = 0,
    };

    // Finds line starts from the end of a file, a 64 KiB window at a time.
    private sealed class BackwardReader(SafeFileHandle file)
    {
        private readonly byte[] _window = new byte[ChunkBytes];
        private long _start;
        private int _length;

        /// <summary>The offset of the last '\n' before <paramref name="position"/>, or -1 when there is none.</summary>
        public long LastNewlineBefore(long position)
        {
            while (position > 0)
            {
                if (position <= _start || position > _start + _length)
                {
                    _start = Math.Max(0, position - _window.Length);
                    _length = RandomAccess.Read(file, _window.AsSpan(0, (int)(position - _start)), _start);
                    if (_length < position - _start) return -1;
                }
                var found = _window.AsSpan(0, (int)(position - _start)).LastIndexOf((byte)'\n');
                if (found >= 0) return _start + found;
                position = _start;
            }
            return -1;
        }
    }
}

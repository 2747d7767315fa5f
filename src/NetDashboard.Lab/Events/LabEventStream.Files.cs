using NetDashboard.Lab.Runtime;
using System.Text.Json;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Events;

// Following the runtime folder (inotify and the tick) and the journal appended in it.
internal sealed partial class LabEventStream
{
    private FileSystemWatcher? WatchRuntimeFolder()
    {
        try
        {
            Directory.CreateDirectory(_store.Root);
            var folder = _store.FolderOf(_lab) + Path.DirectorySeparatorChar;
            var watcher = new FileSystemWatcher(_store.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            void OnChange(object? sender, FileSystemEventArgs e)
            {
                if (e.FullPath.StartsWith(folder, StringComparison.Ordinal) || e.FullPath == folder.TrimEnd(Path.DirectorySeparatorChar))
                    _pokes.Writer.TryWrite(true);
            }
            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += (sender, e) => OnChange(sender, e);
            // An overflowed inotify queue loses events, not state: read everything again.
            watcher.Error += (_, _) => _pokes.Writer.TryWrite(true);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogNoFileWatch(_lab, e.Message);
            return null;
        }
    }

    private async Task FollowFilesAsync(CancellationToken cancellationToken)
    {
        using var tick = new PeriodicTimer(Tick);
        var ticking = TickAsync(tick, cancellationToken);
        try
        {
            while (await _pokes.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(Debounce, cancellationToken);
                _pokes.Reader.TryRead(out _);
                try
                {
                    FollowJournal();
                    FollowVms();
                }
                catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or LabFileException)
                {
                    LogFollowFailed(_lab, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await ticking;
    }

    private async Task TickAsync(PeriodicTimer tick, CancellationToken cancellationToken)
    {
        try
        {
            while (await tick.WaitForNextTickAsync(cancellationToken))
                _pokes.Writer.TryWrite(true);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Reads only what was appended since the last look, and only whole lines (a writer may be mid-line).
    private void FollowJournal()
    {
        var path = _store.JournalOf(_lab).Path;
        var length = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (length < _journalOffset)
        {
            _journalOffset = 0;
            _journalLines = 0;
            _ring.Append(new JournalRestarted());
        }
        if (length == _journalOffset) return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(_journalOffset, SeekOrigin.Begin);
        var bytes = new byte[length - _journalOffset];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        var consumed = 0;
        for (var newline = Array.IndexOf(bytes, (byte)'\n', 0, read); newline >= 0; newline = Array.IndexOf(bytes, (byte)'\n', consumed, read - consumed))
        {
            var line = bytes.AsSpan(consumed, newline - consumed);
            consumed = newline + 1;
            if (line.IsEmpty) continue;
            if (ParseEntry(line) is { } entry)
            {
                _ring.Append(new JournalAppended(_journalLines, entry.WithOutputCut(JournalAppended.ShownOutputChars)));
                // A guest command may have changed what the guest holds: look now.
                if (entry.Argv is ["guest-agent", ..]) _guestPokes.Writer.TryWrite(true);
            }
            _journalLines++;
        }
        _journalOffset += consumed;
    }

    private JournalEntry? ParseEntry(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, RuntimeJson.Default.JournalEntry);
        }
        catch (JsonException e)
        {
            // A line edited by hand is skipped, not retried forever.
            LogFollowFailed(_lab, $"journal line {_journalLines + 1} is not an entry: {e.Message}");
            return null;
        }
    }

    private (long Offset, long Lines) CountJournal()
    {
        var path = _store.JournalOf(_lab).Path;
        if (!File.Exists(path)) return (0, 0);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long offset = 0, lines = 0, position = 0;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                lines++;
                offset = position + i + 1;
            }
            position += read;
        }
        return (offset, lines);
    }
}

using NetDashboard.Lab.Runtime;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace NetDashboard.Lab.Events;

/// <summary>
/// When to look at a lab's runtime folder again: soon after anything in it changes (inotify), so what the CLI or another
/// dashboard does shows up too, or after a poke, debounced; and every quarter second in any case, which catches what no
/// file change announces (a guest that became ready in another process) and a folder that cannot be watched.
/// </summary>
internal sealed class LabFolderWatch : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(30);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private readonly Channel<bool> _pokes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly FileSystemWatcher? _watcher;

    // The whole runtime root is watched, so a lab folder made after the start (the lab created again) is seen too.
    public LabFolderWatch(string lab, LabRuntimeStore store, ILogger logger)
    {
        try
        {
            Directory.CreateDirectory(store.Root);
            _watcher = Watch(store.Root, store.FolderOf(lab) + Path.DirectorySeparatorChar);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            logger.NoFolderWatch(lab, e.Message);
        }
    }

    /// <summary>Look again soon (debounced), without waiting for a file to change.</summary>
    public void Poke() => _pokes.Writer.TryWrite(true);

    /// <summary>Calls <paramref name="look"/> at each change, poke and tick, until cancelled.</summary>
    public async Task RunAsync(Action look, CancellationToken cancellationToken)
    {
        using var tick = new PeriodicTimer(Tick);
        var ticking = TickAsync(tick, cancellationToken);
        try
        {
            while (await _pokes.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(Debounce, cancellationToken);
                _pokes.Reader.TryRead(out _);
                look();
            }
        }
        catch (OperationCanceledException)
        {
        }
        await ticking;
    }

    public void Dispose() => _watcher?.Dispose();

    private FileSystemWatcher Watch(string root, string folder)
    {
        var watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        void OnChange(object? sender, FileSystemEventArgs e)
        {
            if (e.FullPath.StartsWith(folder, StringComparison.Ordinal) || e.FullPath == folder.TrimEnd(Path.DirectorySeparatorChar))
                Poke();
        }
        watcher.Changed += OnChange;
        watcher.Created += OnChange;
        watcher.Deleted += OnChange;
        watcher.Renamed += (sender, e) => OnChange(sender, e);
        // An overflowed inotify queue loses events, not state: look at everything again.
        watcher.Error += (_, _) => Poke();
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch
        {
            watcher.Dispose();
            throw;
        }
        return watcher;
    }

    private async Task TickAsync(PeriodicTimer tick, CancellationToken cancellationToken)
    {
        try
        {
            while (await tick.WaitForNextTickAsync(cancellationToken))
                Poke();
        }
        catch (OperationCanceledException)
        {
        }
    }
}

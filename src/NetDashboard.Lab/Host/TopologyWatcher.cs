using System.Threading.Channels;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>
/// Follows one lab's kernel state: `ip monitor` in each namespace is only a trigger for a debounced
/// re-read; a slow timer catches what ip monitor does not report (the nat table). Subscribers get each
/// snapshot that differs from the one before, latest first: a slow reader skips stale snapshots. A read that fails
/// (a tool missing, output it cannot parse) is logged and reported through <see cref="ReadFailed"/>, and the
/// watcher keeps going: the next trigger reads again.
/// </summary>
public sealed partial class TopologyWatcher : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromSeconds(2);

    private readonly ITopologySource _reader;
    private readonly ILogger _logger;
    private readonly string _lab;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _triggers = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<Channel<Topology>> _subscribers = [];
    private readonly List<Task> _tasks = [];
    private readonly TimeSpan _poll;
    private Topology? _latest;

    /// <param name="poll">How often the slow timer re-reads (2 s); a test that must see ip monitor's trigger alone sets it long.</param>
    public TopologyWatcher(ITopologySource reader, string lab, ILogger? logger = null, TimeSpan? poll = null)
    {
        _poll = poll ?? DefaultPoll;
        _reader = reader;
        _lab = lab;
        _logger = logger ?? NullLogger.Instance;
        foreach (var ns in new LabNamespaces(lab).All)
            _tasks.Add(Task.Run(() => MonitorAsync(ns, _stop.Token)));
        _tasks.Add(Task.Run(() => ReadLoopAsync(_stop.Token)));
        _tasks.Add(Task.Run(() => PollAsync(_stop.Token)));
        Trigger();
    }

    public Topology? Latest => _latest;

    /// <summary>Raised with the reason each time a read fails; the next successful read publishes as usual.</summary>
    public event Action<string>? ReadFailed;

    /// <summary>Snapshots as they change, starting with the latest one known.</summary>
    public async IAsyncEnumerable<Topology> WatchAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<Topology>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscribers.Add(channel);
            if (_latest is not null) channel.Writer.TryWrite(_latest);
        }
        try
        {
            await foreach (var topology in channel.Reader.ReadAllAsync(cancellationToken))
                yield return topology;
        }
        finally
        {
            lock (_gate) _subscribers.Remove(channel);
        }
    }

    /// <summary>Asks for a re-read now (after the app itself changed something).</summary>
    public void Trigger() => _triggers.Writer.TryWrite(true);

    private async Task MonitorAsync(string ns, CancellationToken cancellationToken)
    {
        var command = KernelReads.Monitor(ns);
        while (!cancellationToken.IsCancellationRequested)
        {
            // SIGINT first, a kill 2 s later: disposing the watcher must not wait for an ip that ignores SIGINT.
            using var forceful = new KillAfterInterrupt(cancellationToken, TimeSpan.FromSeconds(2));
            try
            {
                await Cli.Wrap(command.Program)
                    .WithArguments(command.Arguments)
                    .WithValidation(CommandResultValidation.None)
                    .WithStandardOutputPipe(PipeTarget.ToDelegate(_ => Trigger()))
                    .ExecuteAsync(forceful.Token, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // The namespace does not exist (yet, or any more): look again shortly.
            Trigger();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, CancellationToken.None);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_poll);
        while (await timer.WaitForNextTickAsync(cancellationToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, CancellationToken.None))
            Trigger();
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var failed = false;
        try
        {
            while (await _triggers.Reader.WaitToReadAsync(cancellationToken))
            {
                // Let a burst of events settle, then read once.
                await Task.Delay(Debounce, cancellationToken);
                _triggers.Reader.TryRead(out _);
                Topology topology;
                try
                {
                    topology = await _reader.ReadAsync(_lab, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogReadFailed(_lab, e.Message);
                    ReadFailed?.Invoke(e.Message);
                    failed = true;
                    continue;
                }
                // The first good read after a failure is published even when unchanged: it says the kernel answers again.
                Publish(topology, force: failed);
                failed = false;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Publish(Topology topology, bool force)
    {
        lock (_gate)
        {
            if (!force && _latest is not null && _latest.SameStateAs(topology)) return;
            _latest = topology;
            foreach (var subscriber in _subscribers)
                subscriber.Writer.TryWrite(topology);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel read of lab {Lab} failed: {Reason}")]
    private partial void LogReadFailed(string lab, string reason);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks).ContinueWith(_ => { }, CancellationToken.None);
        _stop.Dispose();
    }
}

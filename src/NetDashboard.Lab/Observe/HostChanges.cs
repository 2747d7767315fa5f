using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CliWrap;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Says when this host's networks changed: `ip monitor … all-nsid` in the observed namespace hears its own links,
/// addresses and routes change and those of the namespaces its veths lead to. Only a trigger for a new reading:
/// what changed is read again, never taken from the event's text.
/// </summary>
public static class HostChanges
{
    /// <summary>A pulse for each burst of kernel events (at most one waiting); ends when cancelled.</summary>
    public static async IAsyncEnumerable<bool> WatchAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pulses = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        // Its own stop as well: a reader that leaves the loop early ends ip monitor too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listening = ListenAsync(path, pulses.Writer, stop.Token);
        try
        {
            while (await pulses.Reader.WaitToReadAsync(stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, CancellationToken.None))
            {
                pulses.Reader.TryRead(out _);
                yield return true;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await listening;
        }
    }

    private static async Task ListenAsync(string path, ChannelWriter<bool> pulses, CancellationToken cancellationToken)
    {
        var command = ObserveCommands.Monitor(path);
        while (!cancellationToken.IsCancellationRequested)
        {
            // SIGINT first, a kill 2 s later: leaving the page must not wait for an ip that ignores SIGINT.
            using var forceful = new KillAfterInterrupt(cancellationToken, TimeSpan.FromSeconds(2));
            try
            {
                await Cli.Wrap(command.Program).WithArguments(command.Arguments).WithValidation(CommandResultValidation.None)
                    .WithStandardOutputPipe(PipeTarget.ToDelegate(_ => pulses.TryWrite(true)))
                    .ExecuteAsync(forceful.Token, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            // The namespace went away or ip failed: the page's slow reading still goes on; listen again shortly.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ContinueWith(_ => { }, CancellationToken.None);
        }
        pulses.TryComplete();
    }
}

using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// The live events of every lab: one <see cref="LabEventStream"/> per lab, shared by all its viewers (pages,
/// hubs, API streams) and stopped when the last one leaves.
/// </summary>
public sealed class LabEvents(ITopologySource reader, LabRuntimeStore store, VmSupervisor vms, OperationRunner operations, ILoggerFactory loggers)
    : IAsyncDisposable
{
    private readonly Dictionary<string, Shared> _streams = [];
    private readonly Lock _gate = new();
    private readonly ILogger _logger = loggers.CreateLogger<LabEvents>();
    private bool _listening;

    /// <summary>The lab's state now, then what changes, at most ten updates a second, until cancelled.</summary>
    public async IAsyncEnumerable<LabUpdate> SubscribeAsync(string lab, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Shared shared;
        lock (_gate)
        {
            if (!_listening)
            {
                // Journal entries this process writes are followed from the file like any other, but poke at once.
                operations.Journaled += (name, _) => Trigger(name);
                _listening = true;
            }
            if (!_streams.TryGetValue(lab, out shared!))
                _streams[lab] = shared = new Shared(new LabEventStream(lab, reader, store, vms, _logger));
            shared.Viewers++;
        }
        try
        {
            await foreach (var update in shared.Stream.SubscribeAsync(cancellationToken))
                yield return update;
        }
        finally
        {
            var last = false;
            lock (_gate)
            {
                if (--shared.Viewers == 0)
                {
                    _streams.Remove(lab);
                    last = true;
                }
            }
            if (last) await shared.Stream.DisposeAsync();
        }
    }

    /// <summary>Asks the lab's stream to read the kernel, the journal and the VMs now (after this process changed the lab).</summary>
    public void Trigger(string lab)
    {
        Shared? shared;
        lock (_gate)
            _streams.TryGetValue(lab, out shared);
        shared?.Stream.Poke();
    }

    public async ValueTask DisposeAsync()
    {
        List<Shared> streams;
        lock (_gate)
        {
            streams = [.. _streams.Values];
            _streams.Clear();
        }
        foreach (var shared in streams)
            await shared.Stream.DisposeAsync();
    }

    private sealed class Shared(LabEventStream stream)
    {
        public LabEventStream Stream { get; } = stream;
        public int Viewers { get; set; }
    }
}

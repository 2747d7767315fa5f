using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// The live events of every lab: one set of <see cref="LabSources"/> per lab, shared by all its viewers (pages, hubs,
/// API streams) and stopped when the last one leaves. A viewer reads the lab's one ring in batches
/// (<see cref="EventRing{T}.ReadBatchesAsync"/>), each merged into a <see cref="LabUpdate"/>.
/// </summary>
public sealed class LabEvents(ITopologySource reader, LabRuntimeStore store, VmSupervisor vms, OperationRunner operations, ILoggerFactory loggers)
    : IAsyncDisposable
{
    private static readonly TimeSpan MinDeliveryInterval = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, Shared> _labs = [];
    private readonly Lock _gate = new();
    private readonly ILogger _logger = loggers.CreateLogger<LabEvents>();
    private bool _listening;

    /// <summary>The lab's state now, then what changes, at most ten updates a second, until cancelled.</summary>
    public async IAsyncEnumerable<LabUpdate> SubscribeAsync(string lab, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var shared = Join(lab);
        try
        {
            var sources = shared.Sources;
            // The viewer reads the journal from its file after this update: an entry appended from here on is in what it
            // reads or in a later update, never lost (a page may show it as read and hear of it again: it reads again).
            var cursor = sources.Ring.Next;
            yield return new LabUpdate
            {
                Topology = sources.Kernel.Latest,
                KernelProblem = sources.Kernel.Problem,
                JournalReread = true,
                Vms = sources.VmStates.States,
                Guests = sources.Guests.Guests,
            };
            await foreach (var batch in sources.Ring.ReadBatchesAsync(cursor, sources.Ring.Capacity, MinDeliveryInterval, newestFirst: false, cancellationToken))
                yield return Merge(batch, sources);
        }
        finally
        {
            await LeaveAsync(lab, shared);
        }
    }

    /// <summary>Asks the lab's sources to read the kernel, the journal and the VMs now (after this process changed the lab).</summary>
    public void Trigger(string lab)
    {
        Shared? shared;
        lock (_gate)
            _labs.TryGetValue(lab, out shared);
        shared?.Sources.Poke();
    }

    public async ValueTask DisposeAsync()
    {
        List<Shared> labs;
        lock (_gate)
        {
            labs = [.. _labs.Values];
            _labs.Clear();
        }
        foreach (var shared in labs)
            await shared.Sources.DisposeAsync();
    }

    // What a batch of events changed, with the states the sources hold now (a slow viewer skips stale ones).
    private static LabUpdate Merge(EventBatch<LabEvent> batch, LabSources sources)
    {
        var appended = new List<JournalEntry>();
        var changes = new List<VmStatus>();
        var kernelChanged = false;
        var guestsChanged = false;
        // A viewer that missed events may have missed journal entries: it reads the journal again.
        var reread = batch.Missed > 0;
        foreach (var item in batch.Items)
        {
            switch (item)
            {
                case KernelChanged or KernelReadFailed:
                    kernelChanged = true;
                    break;
                case JournalAppended { Entry: var entry }:
                    appended.Add(entry);
                    break;
                case JournalRestarted:
                    reread = true;
                    break;
                case VmStateChanged { Status: var status }:
                    changes.Add(status);
                    break;
                case GuestChanged:
                    guestsChanged = true;
                    break;
            }
        }
        return new LabUpdate
        {
            Topology = kernelChanged ? sources.Kernel.Latest : null,
            KernelProblem = sources.Kernel.Problem,
            JournalReread = reread,
            JournalAppended = reread ? [] : appended,
            Vms = changes.Count > 0 ? sources.VmStates.States : null,
            VmChanges = changes,
            Guests = guestsChanged ? sources.Guests.Guests : null,
        };
    }

    private Shared Join(string lab)
    {
        lock (_gate)
        {
            if (!_listening)
            {
                // Journal entries this process writes are followed from the file like any other, but poke at once.
                operations.Journaled += (name, _) => Trigger(name);
                _listening = true;
            }
            if (!_labs.TryGetValue(lab, out var shared))
                _labs[lab] = shared = new Shared(new LabSources(lab, reader, store, vms, _logger));
            shared.Viewers++;
            return shared;
        }
    }

    private async Task LeaveAsync(string lab, Shared shared)
    {
        bool last;
        lock (_gate)
        {
            last = --shared.Viewers == 0;
            if (last) _labs.Remove(lab);
        }
        if (last) await shared.Sources.DisposeAsync();
    }

    private sealed class Shared(LabSources sources)
    {
        public LabSources Sources { get; } = sources;
        public int Viewers { get; set; }
    }
}

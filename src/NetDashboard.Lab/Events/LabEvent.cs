using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>Something that happened to a lab, in the order it was seen.</summary>
public abstract record LabEvent;

/// <summary>The kernel snapshot changed (the snapshot itself is not kept in the ring: only the latest matters).</summary>
public sealed record KernelChanged : LabEvent;

/// <summary>Reading the kernel failed; the watcher keeps trying.</summary>
public sealed record KernelReadFailed(string Reason) : LabEvent;

/// <summary>A line was appended to the lab's journal (by this process or another: the file is followed).</summary>
/// <param name="Line">The entry's line number in the journal file, from 0.</param>
public sealed record JournalAppended(long Line, JournalEntry Entry) : LabEvent;

/// <summary>The journal file started over (the lab was removed and made again): viewers read it anew.</summary>
public sealed record JournalRestarted : LabEvent;

/// <summary>A VM changed state: starting, running, stopped, or crashed (with its last serial lines in the detail).</summary>
public sealed record VmStateChanged(VmStatus Status) : LabEvent;

/// <summary>What a guest holds (addresses, routes, ARP) changed, or the guest stopped answering (null).</summary>
public sealed record GuestChanged(string Vm, GuestState? State) : LabEvent;

/// <summary>
/// What a viewer of a lab receives, at most ten times a second. The first update carries the whole state; later
/// ones carry what changed. A slow viewer skips stale snapshots but never loses a journal entry: after a gap the
/// whole journal comes again in <see cref="Journal"/>.
/// </summary>
public sealed record LabUpdate
{
    /// <summary>The latest kernel snapshot when it changed since the viewer's last update (or the first one), else null.</summary>
    public Topology? Topology { get; init; }

    /// <summary>Why the last kernel read failed, or null when it worked.</summary>
    public string? KernelProblem { get; init; }

    /// <summary>The whole journal, oldest first: in the first update and after a gap; else null.</summary>
    public IReadOnlyList<JournalEntry>? Journal { get; init; }

    /// <summary>Entries appended since the last update, oldest first.</summary>
    public IReadOnlyList<JournalEntry> JournalAppended { get; init; } = [];

    /// <summary>Every VM's state when any changed (and in the first update), else null.</summary>
    public IReadOnlyList<VmStatus>? Vms { get; init; }

    /// <summary>The VM transitions seen since the last update, in order.</summary>
    public IReadOnlyList<VmStatus> VmChanges { get; init; } = [];

    /// <summary>What each running guest holds now, by VM name, when any changed (and in the first update), else null.</summary>
    public IReadOnlyDictionary<string, GuestState>? Guests { get; init; }
}

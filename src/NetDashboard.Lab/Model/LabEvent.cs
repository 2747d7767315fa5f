using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>Something that happened to a lab, in the order it was seen.</summary>
public abstract record LabEvent;

/// <summary>The kernel snapshot changed (the snapshot itself is not kept in the ring: only the latest matters).</summary>
public sealed record KernelChanged : LabEvent;

/// <summary>Reading the kernel failed; the watcher keeps trying.</summary>
public sealed record KernelReadFailed(string Reason) : LabEvent;

/// <summary>A line was appended to the lab's journal (by this process or another: the file is followed).</summary>
/// <param name="Line">The entry's line number in the journal file, from 0.</param>
public sealed record JournalAppended(long Line, JournalEntry Entry) : LabEvent
{
    /// <summary>How much of an entry's output the event carries: events wait in a ring of thousands, shared by every viewer.</summary>
    public const int ShownOutputChars = 2000;
}

/// <summary>The journal file started over (the lab was removed and made again): viewers read it anew.</summary>
public sealed record JournalRestarted : LabEvent;

/// <summary>A VM changed state: starting, running, stopped, or crashed (with its last serial lines in the detail).</summary>
public sealed record VmStateChanged(VmStatus Status) : LabEvent;

/// <summary>What a guest holds (addresses, routes, ARP) changed, or the guest stopped answering (null).</summary>
public sealed record GuestChanged(string Vm, GuestState? State) : LabEvent;

/// <summary>
/// What a viewer of a lab receives, at most ten times a second. The first update carries the whole state but the
/// journal, which a viewer reads a page at a time (<see cref="Engine.Journal.ReadPage"/>); later ones carry what
/// changed. A slow viewer skips stale snapshots but never loses a journal entry: after a gap it is told to read the
/// journal again (<see cref="JournalReread"/>).
/// </summary>
public sealed record LabUpdate
{
    /// <summary>The latest kernel snapshot when it changed since the viewer's last update (or the first one), else null.</summary>
    public Topology? Topology { get; init; }

    /// <summary>Why the last kernel read failed, or null when it worked.</summary>
    public string? KernelProblem { get; init; }

    /// <summary>True when the viewer must read the journal from its file: in the first update and after a gap.</summary>
    public bool JournalReread { get; init; }

    /// <summary>
    /// Entries appended since the last update, oldest first, each with at most <see cref="JournalAppended.ShownOutputChars"/>
    /// characters of its output (a list shows one line of it; the journal has the rest).
    /// </summary>
    public IReadOnlyList<JournalEntry> JournalAppended { get; init; } = [];

    /// <summary>Every VM's state when any changed (and in the first update), else null.</summary>
    public IReadOnlyList<VmStatus>? Vms { get; init; }

    /// <summary>The VM transitions seen since the last update, in order.</summary>
    public IReadOnlyList<VmStatus> VmChanges { get; init; } = [];

    /// <summary>What each running guest holds now, by VM name, when any changed (and in the first update), else null.</summary>
    public IReadOnlyDictionary<string, GuestState>? Guests { get; init; }
}

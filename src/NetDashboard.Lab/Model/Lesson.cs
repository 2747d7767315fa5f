using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>Something a lesson step does: a host operation, or a command typed in a guest.</summary>
public abstract record LessonAction;

public sealed record HostAction(OperationRequest Request) : LessonAction;

public sealed record GuestAction(string Vm, string Command) : LessonAction;

/// <summary>A ping that proves a step worked, from a VM (by name), "host" or "pc", to an address.</summary>
public sealed record LessonProbe(string From, string Target)
{
    public string Description => $"{From} can ping {Target}";
}

/// <summary>
/// One step: a one-line explanation, what Run does, and how to tell it is done — from the kernel snapshot
/// (so a step done by hand in a shell shows as done) or, for what only the guest knows, by a ping probe.
/// </summary>
public sealed record LessonStep(string Title, string Explanation, IReadOnlyList<LessonAction> Actions, Func<Topology, bool>? IsDone = null, LessonProbe? Probe = null)
{
    /// <summary>What the tutorial proves with tcpdump at this step: the interfaces to watch while the probe's ping runs.</summary>
    public IReadOnlyList<InterfaceRef> Watch { get; init; } = [];

    /// <summary>The step's commands as the tutorial writes them.</summary>
    public IEnumerable<string> TutorialLines(string lab) => Actions.Select(a => a switch
    {
        HostAction h => h.Request.ToOperation(lab).Operation is { } op ? $"(host)$ {op.Tutorial}" : h.Request.Kind,
        GuestAction g => $"({g.Vm})$ {g.Command}",
        _ => "",
    });
}

public sealed record Lesson(string Id, string Title, string LabFile, string Summary, IReadOnlyList<LessonStep> Steps);

using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using NetDashboard.Lab.Model;

namespace NetDashboard.Components.Controls;

/// <summary>
/// A tutorial part as steps. A step is done when the kernel says so (whoever did it), or, for what only the guest
/// knows, when the journal holds its commands or its ping check succeeding: so done steps survive a reload. Run does
/// exactly that step through the lab service; a step already done says so and runs nothing.
/// </summary>
public sealed partial class LessonPanel
{
    private enum StepState { Todo, Ran, Done, Failed }

    private readonly Dictionary<int, (bool Ok, string Output)> _probes = [];
    private readonly Dictionary<int, (string Message, string? Output)> _errors = [];
    private readonly Dictionary<int, string> _notes = [];
    private readonly HashSet<int> _ran = [];
    private int? _running;

    [Inject] private LabService Actions { get; set; } = null!;

    /// <summary>The lab the lesson runs in.</summary>
    [Parameter, EditorRequired] public string Lab { get; set; } = "";

    /// <summary>The lesson, or null when the lab has none.</summary>
    [Parameter] public Lesson? Lesson { get; set; }

    /// <summary>True when the lab was brought up as the lesson's starting point.</summary>
    [Parameter] public bool AsLesson { get; set; }

    /// <summary>The latest kernel snapshot; steps checked against the kernel follow it.</summary>
    [Parameter] public Topology? Topology { get; set; }

    /// <summary>
    /// The journal's entries the lesson looks for (any order; see <see cref="LooksFor"/>): guest steps and ping checks are
    /// done when it holds them succeeding. Only these: a page never holds the whole journal.
    /// </summary>
    [Parameter] public IReadOnlyCollection<JournalEntry> Journal { get; set; } = [];

    /// <summary>True for an entry that marks one of the lesson's steps done: a guest step's command or its ping check, succeeded.</summary>
    public static bool LooksFor(Lesson lesson, JournalEntry entry) =>
        entry.Succeeded && lesson.Steps.Any(step => step.Probe is { } probe
            ? IsPing(entry, probe)
            : step.Actions.OfType<GuestAction>().Any(a => entry.Who == a.Vm && entry.Tutorial == a.Command));

    private Lesson? Next => Lesson is null ? null : LabService.Lessons.SkipWhile(l => l != Lesson).Skip(1).FirstOrDefault();

    private bool Complete => Lesson is not null && Lesson.Steps.Select((s, i) => StateOf(i, s)).All(s => s == StepState.Done);

    private StepState StateOf(int index, LessonStep step)
    {
        if (_errors.ContainsKey(index)) return StepState.Failed;
        if (IsDone(step)) return StepState.Done;
        if (_probes.TryGetValue(index, out var probe) && !probe.Ok) return StepState.Failed;
        return _ran.Contains(index) ? StepState.Ran : StepState.Todo;
    }

    private bool IsDone(LessonStep step)
    {
        if (step.IsDone is { } isDone) return Topology is not null && isDone(Topology);
        if (step.Probe is { } probe) return Journal.Any(e => e.Succeeded && IsPing(e, probe));
        return step.Actions.OfType<GuestAction>().All(a => Journal.Any(e => e.Succeeded && e.Who == a.Vm && e.Tutorial == a.Command));
    }

    // A check is a ping from the probe's VM, host or PC to its target, journaled like any command.
    private static bool IsPing(JournalEntry entry, LessonProbe probe) =>
        entry.Who == probe.From && entry.Tutorial.StartsWith("ping ", StringComparison.Ordinal)
        && entry.Tutorial.Split(' ').Contains(probe.Target);

    private async Task RunAsync(int index, LessonStep step)
    {
        _errors.Remove(index);
        _probes.Remove(index);
        _notes.Remove(index);
        if (IsDone(step))
        {
            _notes[index] = "Already done: nothing ran.";
            return;
        }
        _running = index;
        try
        {
            foreach (var action in step.Actions)
            {
                var result = action switch
                {
                    HostAction host => await Actions.RunAsync(Lab, host.Request),
                    GuestAction guest => (await Actions.ExecAsync(Lab, guest.Vm, guest.Command)).Result,
                    _ => ActionResult.Failed("unknown step action"),
                };
                if (!result.Succeeded)
                {
                    _errors[index] = (result.Message, result.Output);
                    return;
                }
            }
            _ran.Add(index);
            if (step.Probe is not null)
                await ProbeAsync(index, step.Probe);
        }
        finally
        {
            _running = null;
        }
    }

    private async Task CheckAsync(int index, LessonStep step)
    {
        _running = index;
        _errors.Remove(index);
        _notes.Remove(index);
        try
        {
            await ProbeAsync(index, step.Probe!);
        }
        finally
        {
            _running = null;
        }
    }

    private async Task ProbeAsync(int index, LessonProbe probe)
    {
        // A fresh link may need a moment (ARP, bridge learning): one retry before saying no.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var result = await Actions.PingAsync(Lab, probe.From, probe.Target);
            _probes[index] = (result.Succeeded, string.Join('\n', new[] { result.Message, result.Output }.Where(t => !string.IsNullOrWhiteSpace(t))));
            if (result.Succeeded) return;
        }
    }

    private static string IconOf(StepState state) => state switch
    {
        StepState.Done => Icons.Material.Filled.CheckCircle,
        StepState.Failed => Icons.Material.Filled.Cancel,
        StepState.Ran => Icons.Material.Filled.RadioButtonChecked,
        _ => Icons.Material.Filled.RadioButtonUnchecked,
    };

    private static Color ColorOf(StepState state) => state switch
    {
        StepState.Done => Color.Success,
        StepState.Failed => Color.Error,
        StepState.Ran => Color.Info,
        _ => Color.Default,
    };
}

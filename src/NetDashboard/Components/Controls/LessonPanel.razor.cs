using Microsoft.AspNetCore.Components;
using MudBlazor;
using NetDashboard.Lab.Lessons;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Engine;

namespace NetDashboard.Components.Controls;

/// <summary>
/// A tutorial part as steps. A step is done when the kernel says so (whoever did it), or when its ping check
/// passed; Run does exactly that step through the same actions as the inspector.
/// </summary>
public sealed partial class LessonPanel
{
    private enum StepState { Todo, Ran, Done, Failed }

    private readonly Dictionary<int, bool> _probes = [];
    private readonly Dictionary<int, string> _errors = [];
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

    private StepState StateOf(int index, LessonStep step)
    {
        if (_errors.ContainsKey(index)) return StepState.Failed;
        if (step.IsDone is { } isDone && Topology is not null && isDone(Topology)) return StepState.Done;
        if (_probes.TryGetValue(index, out var ok)) return ok ? StepState.Done : StepState.Failed;
        return _ran.Contains(index) ? StepState.Ran : StepState.Todo;
    }

    private async Task RunAsync(int index, LessonStep step)
    {
        _running = index;
        _errors.Remove(index);
        _probes.Remove(index);
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
                    _errors[index] = result.Message;
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
            _probes[index] = result.Succeeded;
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

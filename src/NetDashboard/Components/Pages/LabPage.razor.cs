using Microsoft.AspNetCore.Components;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Lessons;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using NetDashboard.Model;
using NetDashboard.Services;

namespace NetDashboard.Components.Pages;

/// <summary>
/// One lab: the graph follows the kernel (shared watcher → at most 10 redraws a second → InvokeAsync),
/// the inspector acts on the selection, the journal lists every command run.
/// </summary>
public sealed partial class LabPage : IAsyncDisposable
{
    private static readonly TimeSpan MinRedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _stop = new();
    // Newest first, so the command just run is in view.
    private readonly List<JournalEntry> _journal = [];
    private Topology? _topology;
    private LabDefinition? _definition;
    private IReadOnlyList<VmStatus> _vms = [];
    private GraphModel _graph = GraphModel.Empty;
    private string? _selected;
    private string? _problem;
    private long _journalLength = -1;
    private Lesson? _lesson;
    private IReadOnlyList<string> _drift = [];
    private ActionResult? _reapplied;
    private bool _reapplying;
    private bool _asLesson;

    [Inject] private TopologyWatchers Watchers { get; set; } = null!;
    [Inject] private LabEngine Engine { get; set; } = null!;
    [Inject] private LabActions Actions { get; set; } = null!;

    /// <summary>The lab's name, from the address /labs/{lab}.</summary>
    [Parameter] public string Lab { get; set; } = "";

    protected override void OnInitialized()
    {
        if (InputRules.CheckLabName(Lab) is { } problem)
        {
            _problem = $"'{Lab}' is not a lab name: {problem}.";
            return;
        }
        Engine.Vms.Changed += OnVmChanged;
        Engine.Operations.Journaled += OnJournaled;
        _ = FollowAsync(_stop.Token);
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var topology in Watchers.WatchAsync(Lab, cancellationToken))
            {
                var definition = Engine.Store.TryReadDefinition(Lab);
                var vms = definition?.Vms.Select(vm => Engine.Vms.StatusOf(Lab, vm)).ToList() ?? [];
                var graph = TopologyGraph.Build(topology, definition, vms);
                var drift = Actions.DriftOf(Lab, definition, topology);
                var journal = ReadJournalIfChanged();
                var record = Engine.Store.Read(Lab);
                await InvokeAsync(() =>
                {
                    _topology = topology;
                    _definition = definition;
                    _vms = vms;
                    _graph = graph;
                    _drift = drift;
                    _lesson = TutorialLessons.ForLabFile(record?.SourceFile);
                    _asLesson = record?.AsLesson == true;
                    if (journal is not null)
                    {
                        _journal.Clear();
                        _journal.AddRange(journal.Reverse());
                    }
                    StateHasChanged();
                });
                await Task.Delay(MinRedrawInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The journal file also grows from the CLI, in another process: re-read it when its length changed.
    private IReadOnlyList<JournalEntry>? ReadJournalIfChanged()
    {
        var journal = Engine.Store.JournalOf(Lab);
        var length = File.Exists(journal.Path) ? new FileInfo(journal.Path).Length : 0;
        if (length == _journalLength) return null;
        _journalLength = length;
        return journal.ReadAll();
    }

    private void OnJournaled(string lab, JournalEntry entry)
    {
        if (lab == Lab) Watchers.Trigger(Lab);
    }

    private void OnVmChanged(VmStatus status)
    {
        if (status.Lab == Lab) Watchers.Trigger(Lab);
    }

    private void OnSelected(string? id) => _selected = id;

    private async Task ReapplyAsync()
    {
        _reapplying = true;
        try
        {
            _reapplied = await Actions.ReapplyAsync(Lab);
        }
        finally
        {
            _reapplying = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Engine.Vms.Changed -= OnVmChanged;
        Engine.Operations.Journaled -= OnJournaled;
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}

using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using NetDashboard.Components.Controls;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Components.Pages;

/// <summary>
/// One lab: the page follows the lab's live events (kernel snapshots, journal entries, VM states, at most ten
/// updates a second → InvokeAsync); the inspector acts on the selection through the lab service.
/// </summary>
public sealed partial class LabPage : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    // Only the entries the lesson looks for: the journal panel reads its own pages from the journal's file.
    private readonly List<JournalEntry> _lessonJournal = [];
    private int _journalRevision;
    private Topology? _topology;
    private LabDefinition? _definition;
    private IReadOnlyList<VmStatus> _vms = [];
    private IReadOnlyDictionary<string, GuestState> _guests = new Dictionary<string, GuestState>();
    private GraphModel _graph = GraphModel.Empty;
    private GraphJourney? _journey;
    private IReadOnlyDictionary<string, string>? _rates;
    private string? _selected;
    private string? _problem;
    private string? _kernelProblem;
    private Lesson? _lesson;
    private IReadOnlyList<string> _drift = [];
    private ActionResult? _reapplied;
    private bool _reapplying;
    private bool _asLesson;
    private bool _notFound;

        [Inject] private LabService Labs { get; set; } = null!;
    [Inject] private ILogger<LabPage> Logger { get; set; } = null!;

    /// <summary>The lab's name, from the address /labs/{lab}.</summary>
    [Parameter] public string Lab { get; set; } = "";

    protected override void OnInitialized()
    {
        if (InputRules.CheckLabName(Lab) is { } problem)
        {
            _problem = $"'{Lab}' is not a lab name: {problem}.";
            return;
        }
        _ = FollowAsync(_stop.Token);
        // While a trace's journey is lit, the links show their live packets per second.
        _ = new LinkRateFollower(Labs, Lab, () => _graph, () => _journey is not null, rates => InvokeAsync(() =>
        {
            _rates = rates;
            StateHasChanged();
        })).RunAsync(_stop.Token);
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in Labs.WatchAsync(Lab, cancellationToken))
            {
                var topology = update.Topology ?? _topology;
                var vms = update.Vms ?? _vms;
                var guests = update.Guests ?? _guests;
                var definition = Labs.DefinitionOf(Lab);
                var record = Labs.RecordOf(Lab);
                var redraw = topology is not null
                    && (update.Topology is not null || update.Vms is not null || update.Guests is not null || !ReferenceEquals(definition, _definition));
                var graph = redraw ? TopologyGraph.Build(topology!, definition, vms, guests) : _graph;
                var drift = redraw ? Labs.DriftOf(Lab, definition, topology!) : _drift;
                var lesson = LabService.LessonFor(record?.SourceFile);
                // Read one entry at a time, kept only when the lesson looks for it.
                var lessonEntries = update.JournalReread
                    ? lesson is null ? [] : (Labs.ReadJournal(Lab) ?? []).Where(e => LessonPanel.LooksFor(lesson, e)).ToList()
                    : null;
                var appended = lesson is null ? [] : update.JournalAppended.Where(e => LessonPanel.LooksFor(lesson, e)).ToList();
                await InvokeAsync(() =>
                {
                    _topology = topology;
                    _kernelProblem = update.KernelProblem;
                    _definition = definition;
                    _vms = vms;
                    _guests = guests;
                    _graph = graph;
                    _drift = drift;
                    _lesson = lesson;
                    _asLesson = record?.AsLesson == true;
                    // Nothing of the lab exists: the page says so and offers nothing that would act on it.
                    _notFound = record is null && topology is not null && topology.Namespaces.All(n => !n.Exists);
                    if (lessonEntries is not null)
                    {
                        _lessonJournal.Clear();
                        _lessonJournal.AddRange(lessonEntries);
                    }
                    _lessonJournal.AddRange(appended);
                    if (update.JournalReread || update.JournalAppended.Count > 0)
                        _journalRevision++;
                    StateHasChanged();
                });
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is ObjectDisposedException && _stop.IsCancellationRequested))
        {
            // The page went away while an update was on its way.
        }
        catch (Exception e)
        {
            // A page that stops following must say so, not freeze silently.
            Logger.LogError(e, "Following lab {Lab} stopped", Lab);
            await InvokeAsync(() =>
            {
                _kernelProblem = $"live updates stopped: {e.Message}. Reload the page.";
                StateHasChanged();
            });
        }
    }

    private JournalPage ReadJournalPage(int skip, int take) => Labs.JournalPageOf(Lab, skip, take).Page ?? new JournalPage(0, skip, []);

    private void OnSelected(string? id) => _selected = id;

    private async Task ReapplyAsync()
    {
        _reapplying = true;
        try
        {
            _reapplied = await Labs.ReapplyAsync(Lab);
        }
        finally
        {
            _reapplying = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}

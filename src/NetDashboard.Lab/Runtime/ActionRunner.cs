using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The one shape of an action on a lab: run it; a <see cref="LabException"/> becomes the <see cref="ActionResult"/> a
/// person reads (<see cref="FailureText"/>, or the action's own <c>explain</c>, after the steps that had run when
/// there were some); and whatever happened, the lab's viewers are told to look again.
/// </summary>
/// <param name="changed">Called with the lab after every action (the live events' poke).</param>
public sealed class ActionRunner(Action<string> changed)
{
    public async Task<T> RunAsync<T>(string lab, Func<Task<T>> action, Func<ActionResult, T> failed,
        IReadOnlyList<JournalEntry>? ran = null, Func<LabException, ActionResult?>? explain = null)
    {
        try
        {
            return await action();
        }
        catch (LabException e)
        {
            var result = explain?.Invoke(e) ?? FailureText.Of(e);
            return failed(ran is null ? result : result.AfterSteps(lab, ran));
        }
        finally
        {
            changed(lab);
        }
    }

    public Task<ActionResult> RunAsync(string lab, Func<Task<ActionResult>> action, IReadOnlyList<JournalEntry>? ran = null,
        Func<LabException, ActionResult?>? explain = null) =>
        RunAsync(lab, action, result => result, ran, explain);
}

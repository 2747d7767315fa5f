using NetDashboard.Lab.Model;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// Splits a plan into the steps that run it: one process per operation, except that `ip -n NS` operations standing
/// between two other kinds of step are gathered per namespace into one `ip -batch` (<see cref="IpBatch"/>).
/// Pure: it decides, it runs nothing.
/// </summary>
public static class OperationSteps
{
    /// <summary>
    /// The steps in the order they run. A step of several operations is one namespace's batch, in plan order. An
    /// operation moves ahead of other namespaces' operations into its namespace's batch only when none of the
    /// operations it passes touches its namespace or it theirs (a cable's command also makes a link in the peer's
    /// namespace): otherwise it starts a new batch where it stands.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<LabOperation>> Of(IReadOnlyList<LabOperation> plan)
    {
        var steps = new List<List<LabOperation>>();
        var runStart = 0; // the first step of the current run of batchable operations
        foreach (var operation in plan)
        {
            if (IpBatch.LineOf(operation) is null)
            {
                steps.Add([operation]);
                runStart = steps.Count;
                continue;
            }
            var batch = steps.FindLastIndex(s => s[0].Namespace == operation.Namespace);
            var canJoin = batch >= runStart
                && steps.Skip(batch + 1).SelectMany(s => s).All(passed => !Touches(passed).Overlaps(Touches(operation)));
            if (canJoin)
                steps[batch].Add(operation);
            else
                steps.Add([operation]);
        }
        return steps;
    }

    // The namespaces whose links an operation makes or changes.
    private static HashSet<string> Touches(LabOperation operation) =>
        operation is CreateVethPair cable ? [cable.Namespace, cable.PeerNamespace] : [operation.Namespace];
}

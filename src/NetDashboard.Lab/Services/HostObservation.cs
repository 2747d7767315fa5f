using NetDashboard.Lab.Model;
using NetDashboard.Lab.Observe;

namespace NetDashboard.Lab.Services;

/// <summary>
/// The door of observe mode: this host's networks, read and never changed. It is built from the observer alone (a
/// command runner that only ever gets reads), apart from the labs' door, so nothing that writes can be reached from it.
/// </summary>
public sealed class HostObservation(HostObserver observer, string? target, bool enabled)
{
    public const string EnabledSetting = "NetDashboard:Observe:Enabled";
    public const string NamespaceSetting = "NetDashboard:Observe:Namespace";

    /// <summary>What observe mode reads: "the root namespace", or the namespace configured.</summary>
    public string Target => ObserveTarget.Describe(target);

    /// <summary>Whether observe mode is on (<see cref="EnabledSetting"/>); off, the page and the API say so and read nothing.</summary>
    public bool Enabled => enabled;

    public async Task<(ActionResult Result, ObservedHost? Host)> ObserveAsync(CancellationToken cancellationToken = default)
    {
        if (!enabled) return (ActionResult.NotFound($"observe mode is off ({EnabledSetting} = false)"), null);
        if (ObserveTarget.Check(target) is { } problem)
            return (ActionResult.Refused(NamespaceSetting, $"'{Printable.Quote(target!)}' {problem}"), null);
        try
        {
            var host = await observer.ObserveAsync(target, cancellationToken);
            return (ActionResult.Ok($"{host.Namespaces.Count} namespaces read in {host.ElapsedMs} ms"), host);
        }
        catch (ObserveException e)
        {
            return (ActionResult.NotFound(e.Message), null);
        }
    }
}

using Microsoft.AspNetCore.Components;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Components.Controls;

/// <summary>What the kernel holds for the element selected on this host's graph: facts, and for a link one read-only action, capturing it.</summary>
public sealed partial class HostInspector
{
    private ObservedNamespace? _ns;
    private ObservedLink? _link;
    private ObservedLink? _guest;

    [Parameter] public ObservedHost? Host { get; set; }

    /// <summary>The id of the selected element (<see cref="HostElementId"/>), or null.</summary>
    [Parameter] public string? Selected { get; set; }

    /// <summary>What changes with traffic in the selected element's namespace (and a bridge's MAC table), read for it; null while it is read.</summary>
    [Parameter] public HostDetails? Details { get; set; }

    /// <summary>Raised when the person asks to capture the selected link.</summary>
    [Parameter] public EventCallback<HostInterface> OnCapture { get; set; }

    /// <summary>The interfaces captured in panes now (their button is off).</summary>
    [Parameter] public IReadOnlyCollection<HostInterface> Capturing { get; set; } = [];

    private ulong TargetInode => Host?.Namespaces.FirstOrDefault(n => n.IsTarget)?.Inode ?? 0;

    private string PeerNamespaceLabel => _link?.PeerNamespace is { } inode ? Host?.Find(inode)?.Label ?? $"net:[{inode}] (not read)" : "";

    protected override void OnParametersSet()
    {
        (_ns, _link, _guest) = (null, null, null);
        if (Host is null || HostElementId.Parse(Selected) is not { } id || Host.Find(id.Namespace) is not { } ns) return;
        _ns = ns;
        switch (id.Kind)
        {
            case HostElementKind.Link:
                _link = ns.Link(id.Name!);
                break;
            case HostElementKind.Guest:
                _guest = ns.Link(id.Name!) is { Holder: not null } tap ? tap : null;
                break;
        }
    }
}

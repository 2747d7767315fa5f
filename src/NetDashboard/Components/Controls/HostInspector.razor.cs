using Microsoft.AspNetCore.Components;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Components.Controls;

/// <summary>What the kernel holds for the element selected on this host's graph: facts only, no action.</summary>
public sealed partial class HostInspector
{
    private ObservedNamespace? _ns;
    private ObservedLink? _link;
    private ObservedLink? _guest;

    [Parameter] public ObservedHost? Host { get; set; }

    /// <summary>The id of the selected element (<see cref="HostElementId"/>), or null.</summary>
    [Parameter] public string? Selected { get; set; }

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

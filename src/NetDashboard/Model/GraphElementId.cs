using NetDashboard.Lab.Model;

namespace NetDashboard.Model;

public enum GraphElementKind { Namespace, Link, Vm, Server, Router }

/// <summary>
/// The id of a graph element, as the graph (JavaScript) and the page exchange it: "ns:host", "link:host:br0",
/// "vm:vm1", "server". Parsed in one place, so no caller splits strings.
/// </summary>
public sealed record GraphElementId(GraphElementKind Kind, NamespaceRole Role, string? Name)
{
    public static GraphElementId Namespace(NamespaceRole role) => new(GraphElementKind.Namespace, role, null);
    public static GraphElementId Link(NamespaceRole role, string name) => new(GraphElementKind.Link, role, name);
    public static GraphElementId Vm(string name) => new(GraphElementKind.Vm, NamespaceRole.Host, name);
    public static GraphElementId Server { get; } = new(GraphElementKind.Server, NamespaceRole.Wan, null);
    /// <summary>The host's routing and netfilter: where forwarding and NAT happen.</summary>
    public static GraphElementId Router { get; } = new(GraphElementKind.Router, NamespaceRole.Host, null);

    /// <summary>The element an id names, or null for anything else.</summary>
    public static GraphElementId? Parse(string? id)
    {
        var parts = id?.Split(':', 3) ?? [];
        return parts switch
        {
            ["ns", var role] when TryRole(role, out var r) => Namespace(r),
            ["link", var role, var name] when TryRole(role, out var r) && name.Length > 0 => Link(r, name),
            ["vm", var name] when name.Length > 0 => Vm(name),
            ["server"] => Server,
            ["router"] => Router,
            _ => null,
        };
    }

    public override string ToString() => Kind switch
    {
        GraphElementKind.Namespace => $"ns:{RoleName}",
        GraphElementKind.Link => $"link:{RoleName}:{Name}",
        GraphElementKind.Vm => $"vm:{Name}",
        GraphElementKind.Router => "router",
        _ => "server",
    };

    private string RoleName => Role.Word();

    // Only the names the graph writes: "Host" or "1" are not roles here.
    private static bool TryRole(string text, out NamespaceRole role)
    {
        foreach (var candidate in Enum.GetValues<NamespaceRole>())
        {
            if (candidate.ToString().ToLowerInvariant() != text) continue;
            role = candidate;
            return true;
        }
        role = default;
        return false;
    }
}

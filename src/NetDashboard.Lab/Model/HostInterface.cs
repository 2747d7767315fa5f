using System.Globalization;

namespace NetDashboard.Lab.Model;

/// <summary>
/// An interface of this host as observe mode names a capture of it (a pane, the page's address, a download):
/// "4026532291/vnet0", the namespace by its inode (as an observation shows it) and the interface's name.
/// </summary>
public readonly record struct HostInterface(ulong Namespace, string Name)
{
    public override string ToString() => $"{Namespace.ToString(CultureInfo.InvariantCulture)}/{Name}";

    /// <summary>"INODE/NAME" with a number and a valid interface name; anything else is not one.</summary>
    public static bool TryParse(string? text, out HostInterface value)
    {
        value = default;
        if (text?.Split('/') is not [var inode, var name] || InputRules.CheckInterfaceName(name) is not null
            || !ulong.TryParse(inode, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return false;
        value = new HostInterface(number, name);
        return true;
    }

    /// <summary>
    /// How a journey names a hop on this host: "vnet0@/proc/812/ns/net", the interface and the path of its namespace
    /// ('@' is never in an interface's name), since every namespace has its own eth0 and lo.
    /// </summary>
    public static string HopName(string iface, string namespacePath) => $"{iface}@{namespacePath}";

    /// <summary>The interface and namespace path of a hop named by <see cref="HopName"/>.</summary>
    public static (string Interface, string NamespacePath) ParseHop(string hop) =>
        hop.IndexOf('@', StringComparison.Ordinal) is var at and > 0 ? (hop[..at], hop[(at + 1)..]) : (hop, "");
}

using System.Text;
using System.Text.RegularExpressions;

namespace NetDashboard.Lab.Model;

/// <summary>
/// The rules every name, address and MAC obeys before any command is built.
/// Each check returns null when the value is fine, or a sentence naming the rule.
/// </summary>
public static partial class InputRules
{
    public const string LabNameRule = "a lab name is 1–20 characters: lowercase letters, digits and '-', starting with a letter or digit";
    public const string InterfaceNameRule = "an interface name is 1–15 bytes of letters, digits, '-', '_' or '.', not '.' or '..'";
    public const string VmNameRule = "a VM name is 1–20 characters: lowercase letters, digits and '-', starting with a letter or digit";

    // \z, not $: $ also matches before a final newline.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,19}\z")]
    private static partial Regex LabNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+\z")]
    private static partial Regex InterfaceNameAllowlist();

    /// <summary>A guest reaches its gateway on its own LAN: the gateway must be inside the subnet of eth0's address.</summary>
    public static string? CheckGatewayInSubnet(InterfaceAddress address, System.Net.IPAddress gateway) =>
        address.Network.Contains(gateway)
            ? gateway.Equals(address.Address) ? $"the gateway cannot be the guest's own address {address.Address}" : null
            : $"{gateway} is not inside eth0's subnet {address.Network}; a guest reaches its gateway on its own LAN";

    public static string? CheckLabName(string? value) =>
        value is not null && LabNamePattern().IsMatch(value) ? null : LabNameRule;

    public static string? CheckVmName(string? value) =>
        value is not null && LabNamePattern().IsMatch(value) ? null : VmNameRule;

    /// <summary>The kernel's rule (dev_valid_name) plus the app's stricter allowlist.</summary>
    public static string? CheckInterfaceName(string? value)
    {
        if (string.IsNullOrEmpty(value) || value is "." or "..")
            return InterfaceNameRule;
        if (Encoding.UTF8.GetByteCount(value) > 15)
            return InterfaceNameRule;
        return InterfaceNameAllowlist().IsMatch(value) ? null : InterfaceNameRule;
    }

    public static string? CheckInterfaceAddress(string? value) =>
        InterfaceAddress.TryParse(value, out _) ? null : "an interface address is an IPv4 address with a prefix length, like 192.168.1.1/24";

    public static string? CheckSubnet(string? value) =>
        Subnet.TryParse(value, out _) ? null : "a subnet is an IPv4 network with its host bits zero, like 192.168.1.0/24 (or 0.0.0.0/0 for default)";

    // Plain dotted decimal only: IPAddress.TryParse also takes hex and octal parts (0x7f.0.0.1, 010).
    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z")]
    private static partial Regex Ipv4Pattern();

    public static string? CheckIpv4(string? value) =>
        value is not null && Ipv4Pattern().IsMatch(value) ? null : "an address is a dotted IPv4 address, like 192.168.1.1";

    /// <summary>The longest guest command: the agent reads its line a byte at a time, which a long line makes slow under TCG.</summary>
    public const int MaxGuestCommandBytes = 4096;

    /// <summary>A guest command is one short line of text: the agent reads a line per command.</summary>
    public static string? CheckGuestCommand(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "a guest command is one non-empty line";
        if (Encoding.UTF8.GetByteCount(value) is var bytes and > MaxGuestCommandBytes)
            return $"a guest command is at most {MaxGuestCommandBytes} bytes (4 KiB); this one has {bytes}";
        return value.Any(c => char.IsControl(c) && c != '\t')
            ? "a guest command is one line without control characters (a tab aside)"
            : null;
    }

    public static string? CheckMac(string? value) =>
        MacAddress.TryParse(value, out var mac) ? mac.Problem : "a MAC address is six hex pairs separated by ':', like 52:54:98:76:54:30";
}

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

    /// <summary>
    /// The kernel's rule (dev_valid_name), the app's stricter allowlist, and no word the tools could read as
    /// something else: a leading '-' is an option to ip, bridge and iptables, and a keyword of iproute2's grammar
    /// (`up`, `nomaster`, `help`, …, generated from its parsers) is taken as that keyword where a name may stand.
    /// </summary>
    public static string? CheckInterfaceName(string? value)
    {
        if (string.IsNullOrEmpty(value) || value is "." or ".." || value.Length > 15 || !InterfaceNameAllowlist().IsMatch(value))
            return InterfaceNameRule;
        if (value[0] == '-')
            return $"an interface name cannot start with '-': ip, bridge and iptables would read '{value}' as an option";
        return IprouteKeywords.Contains(value)
            ? $"'{value}' is a keyword of ip and bridge (as in `ip link set dev X {value}`); choose another name, like br1 or tap2"
            : null;
    }

    /// <summary>Why <paramref name="name"/> is not a network namespace's name under /run/netns (as ip takes it: letters, digits, '-', '_', '.'; no path), or null.</summary>
    public static string? CheckNetnsName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name.Trim('.').Length > 0
            ? null : "is not a namespace name (letters, digits, '-', '_', '.'; at most 64)";

    /// <summary>Whether <paramref name="path"/> is exactly /proc/PID/ns/net: a process's network namespace, nothing a path could be made of.</summary>
    public static bool IsProcNetnsPath(string path) =>
        path.Split('/') is ["", "proc", var pid, "ns", "net"] && pid.Length is > 0 and <= 10 && pid.All(char.IsAsciiDigit);

    public static string? CheckInterfaceAddress(string? value) =>
        InterfaceAddress.TryParse(value, out _) ? null : "an interface address is an IPv4 address with a prefix length, like 192.168.1.1/24";

    public static string? CheckSubnet(string? value) =>
        Subnet.TryParse(value, out _) ? null : "a subnet is an IPv4 network with its host bits zero, like 192.168.1.0/24 (or 0.0.0.0/0 for default)";

    /// <summary>
    /// The rule is `-s SOURCE ! -d SOURCE -j MASQUERADE` (traffic leaving the subnet); with 0.0.0.0/0 the `! -d` part
    /// would match no packet, and iptables refuses it, so the source must be a real subnet.
    /// </summary>
    public static string? CheckMasqueradeSource(string? value) =>
        CheckSubnet(value) ?? (Subnet.Parse(value!).IsDefault
            ? "a MASQUERADE source is the guests' subnet, like 192.168.1.0/24; 0.0.0.0/0 cannot be expressed (the rule is `-s SOURCE ! -d SOURCE`, and nothing is outside 0.0.0.0/0)"
            : null);

    // Plain dotted decimal only: IPAddress.TryParse also takes hex and octal parts (0x7f.0.0.1, 010).
    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z")]
    private static partial Regex Ipv4Pattern();

    public static string? CheckIpv4(string? value) =>
        value is not null && Ipv4Pattern().IsMatch(value) ? null : "an address is a dotted IPv4 address, like 192.168.1.1";

    public const string ImageRule = "an image is 'builtin', the name of a disk image in an image folder, or an absolute path inside one; "
        + "at most 255 characters, without commas or control characters";

    /// <summary>The shape of a lab file's image value; whether it names a bootable file is decided at start, in the image folders.</summary>
    public static string? CheckImage(string? value) =>
        value is null or "" || value.Length > 255 || value.Contains(',') || value.Any(char.IsControl)
        || (value.Contains('/') && !Path.IsPathFullyQualified(value)) || value is "." or ".."
            ? ImageRule
            : null;

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

    public const int MaxFirewallRuleChars = 512;
    public const int MaxFirewallRuleWords = 64;
    public const string FirewallRuleRule = "a rule is one line as `iptables -S` prints it, like -A FORWARD -s 203.0.113.0/24 -j DROP";

    // Not starting with '-': iptables refuses to create such a chain, so no rule can be in one.
    [GeneratedRegex(@"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,27}\z")]
    private static partial Regex ChainPattern();

    /// <summary>
    /// An iptables rule to delete, as `iptables -S` prints it: -A, its chain, then options. Its words reach iptables as
    /// argv, never a shell; what is refused is what iptables itself would act on: --modprobe (it runs that program)
    /// and a table of its own (the table is a field of the request).
    /// </summary>
    public static string? CheckFirewallRule(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return FirewallRuleRule;
        if (value.Length > MaxFirewallRuleChars)
            return $"a rule is at most {MaxFirewallRuleChars} characters; this one has {value.Length}";
        if (!value.All(c => c is >= ' ' and <= '~'))
            return "a rule is printable ASCII on one line, as `iptables -S` prints it";
        if (IptablesWords.Split(value) is not { } words)
            return "a double quote in the rule is never closed";
        if (words.Count > MaxFirewallRuleWords)
            return $"a rule is at most {MaxFirewallRuleWords} words; this one has {words.Count}";
        if (words is not ["-A", var chain, ..] || !ChainPattern().IsMatch(chain))
            return $"{FirewallRuleRule}: -A, then a chain name of 1–28 letters, digits, '_', '.' or '-'";
        // iptables -D CHAIN N deletes rule number N: a bare word after the chain is never taken as part of a rule.
        if (words is [_, _, var first, ..] && first != "!" && !first.StartsWith('-'))
            return $"after its chain a rule goes on with options (-s, -p, -j, …); iptables would read '{first}' as a rule number";
        foreach (var word in words.Skip(2))
        {
            if (NamesOption(word, "modprobe", 'M'))
                return "a rule cannot name --modprobe (-M): iptables would run that program";
            if (NamesOption(word, "table", 't'))
                return "a rule cannot name a table (-t, --table): the table is the request's own field";
        }
        return null;
    }

    // getopt takes an unambiguous prefix of a long option ("--modp=X") and clustered short options ("-vM X") too.
    private static bool NamesOption(string word, string longName, char shortName) =>
        word.StartsWith("--", StringComparison.Ordinal)
            ? word[2..].Split('=')[0] is { Length: > 0 } name
                && (name.StartsWith(longName, StringComparison.Ordinal) || longName.StartsWith(name, StringComparison.Ordinal))
            : word.Length > 1 && word[0] == '-' && word.AsSpan(1).Contains(shortName);

    public static string? CheckMac(string? value) =>
        MacAddress.TryParse(value, out var mac) ? mac.Problem : "a MAC address is six hex pairs separated by ':', like 52:54:98:76:54:30";
}

namespace NetDashboard.Tests.Shared;

/// <summary>A hostile or malformed value, with a printable label that names what makes it hostile (test names show the label, never the value).</summary>
public sealed record HostileValue(string Label, string Value);

/// <summary>
/// The hostile-input corpus (issue #10, item 9): per kind of field, values a person or a script could send that must
/// be refused before anything runs. Shared by the API and CLI tests (integration) and the form tests (bUnit), so
/// every face is judged on the same values.
/// </summary>
public static class HostileValues
{
    /// <summary>Longer than any rule allows (15, 20, 255 or 1024 characters), short enough for a URL path.</summary>
    public const int VeryLong = 2000;

    /// <summary>
    /// A valid value wrapped in what no field may carry: shell syntax, control characters, look-alike characters,
    /// a leading dash (an option to ip, bridge and iptables), a comma (a QEMU option separator) and sheer length.
    /// </summary>
    public static IReadOnlyList<HostileValue> Around(string valid) =>
    [
        new("shell semicolon", $"{valid};reboot"),
        new("command substitution", $"$(reboot){valid}"),
        new("backticks", $"`reboot`{valid}"),
        new("pipe", $"{valid}|sh"),
        new("newline", $"{valid}\nreboot"),
        new("carriage return", $"{valid}\r"),
        new("NUL", $"{valid}\0"),
        new("escape sequence", $"\u001b[2J{valid}"),
        new("zero-width space", $"{valid}\u200b"),
        new("right-to-left override", $"\u202e{valid}"),
        new("leading dash", $"-{valid}"),
        new("QEMU comma", $"{valid},script=/tmp/x"),
        new("very long", valid + new string('9', VeryLong)),
    ];

    public static IReadOnlyList<HostileValue> InterfaceNames { get; } =
    [
        .. Around("br1"),
        new("empty", ""),
        new("space", "br 1"),
        new("dot", "."),
        new("dot dot", ".."),
        new("slash", "br/1"),
        new("colon alias", "br1:0"),
        new("16 bytes", "abcdefghijklmnop"),
        new("ip keyword up", "up"),
        new("ip keyword nomaster", "nomaster"),
        new("ip keyword dev", "dev"),
        new("ip keyword help", "help"),
        new("option --force", "--force"),
        new("non-ASCII", "brü"),
        new("fullwidth digit", "br１"),
        new("tab", "br\t1"),
    ];

    public static IReadOnlyList<HostileValue> LabNames { get; } =
    [
        .. Around("lab1"),
        new("uppercase", "Lab1"),
        new("underscore", "bad_name"),
        new("21 characters", "abcdefghijklmnopqrstu"),
        new("space", "lab 1"),
        new("dot dot", ".."),
        new("non-ASCII", "labü"),
        new("option -h", "-h"),
    ];

    public static IReadOnlyList<HostileValue> VmNames { get; } =
    [
        .. Around("vm1"),
        new("uppercase", "VM1"),
        new("dot dot", ".."),
        new("slash", "vm/1"),
        new("21 characters", "abcdefghijklmnopqrstu"),
        new("non-ASCII", "vmü"),
    ];

    public static IReadOnlyList<HostileValue> Macs { get; } =
    [
        .. Around("52:54:98:76:54:32"),
        new("empty", ""),
        new("multicast", "01:00:5e:00:00:01"),
        new("broadcast", "ff:ff:ff:ff:ff:ff"),
        new("all zeros", "00:00:00:00:00:00"),
        new("five bytes", "52:54:98:76:54"),
        new("seven bytes", "52:54:98:76:54:32:10"),
        new("not hex", "52:54:98:76:54:zz"),
        new("dashes", "52-54-98-76-54-32"),
        new("no separators", "525498765432"),
        new("one-digit byte", "52:54:98:76:54:3"),
        new("fullwidth digit", "５2:54:98:76:54:32"),
        new("NUL inside a pair", "52:54:98:76:54:3\0"),
    ];

    public static IReadOnlyList<HostileValue> InterfaceAddresses { get; } =
    [
        .. Around("192.168.1.9/24"),
        new("empty", ""),
        new("octet over 255", "192.168.1.300/24"),
        new("no prefix", "192.168.1.9"),
        new("prefix 33", "192.168.1.9/33"),
        new("negative prefix", "192.168.1.9/-1"),
        new("hex octet", "0x7f.0.0.1/8"),
        new("IPv6", "fe80::1/64"),
        new("trailing ip words", "192.168.1.9/24 dev eth0"),
        new("two prefixes", "192.168.1.9/24/24"),
        new("three octets", "192.168.1/24"),
        new("NUL in the prefix", "192.168.1.9/2\0"),
    ];

    public static IReadOnlyList<HostileValue> Subnets { get; } =
    [
        .. Around("10.9.0.0/16"),
        new("empty", ""),
        new("host bits set", "10.9.0.1/16"),
        new("prefix 33", "10.9.0.0/33"),
        new("no prefix", "10.9.0.0"),
        new("iptables words", "10.9.0.0/16 -j ACCEPT"),
        new("negation", "! 10.9.0.0/16"),
        new("word any", "any"),
        new("short form", "10/8"),
    ];

    /// <summary>A MASQUERADE source is a subnet, and never 0.0.0.0/0 (its `! -d` part would match nothing).</summary>
    public static IReadOnlyList<HostileValue> MasqueradeSources { get; } = [.. Subnets, new("everything", "0.0.0.0/0")];

    public static IReadOnlyList<HostileValue> Ipv4Addresses { get; } =
    [
        .. Around("203.0.113.5"),
        new("empty", ""),
        new("three octets", "203.0.113"),
        new("five octets", "203.0.113.5.1"),
        new("one number", "3405803781"),
        new("short form", "127.1"),
        new("hex octet", "0xcb.0.113.5"),
        new("octal octet", "0203.0.113.5"),
        new("host name", "localhost"),
        new("ping option after", "203.0.113.5 -f"),
        new("ping flood option", "-f"),
        new("IPv6", "::1"),
        new("octet over 255", "256.0.113.5"),
        new("with prefix", "203.0.113.5/24"),
        new("Arabic-Indic digits", "٢٠٣.0.113.5"),
    ];

    /// <summary>
    /// Disk images a VM must never boot; <paramref name="imageFolder"/> is an image folder that holds a FIFO
    /// (pipe.img), links to /etc/shadow (shadow.img) and /dev/zero (zero.img) and a folder (folder.img).
    /// </summary>
    public static IReadOnlyList<HostileValue> Images(string imageFolder) =>
    [
        new("/etc/shadow", "/etc/shadow"),
        new("/dev/zero", "/dev/zero"),
        new("/dev/urandom", "/dev/urandom"),
        new("FIFO by name", "pipe.img"),
        new("FIFO by path", Path.Combine(imageFolder, "pipe.img")),
        new("link to /etc/shadow", "shadow.img"),
        new("link to /dev/zero", "zero.img"),
        new("folder", "folder.img"),
        new("missing", "missing.img"),
        new("relative parent", "../../etc/shadow"),
        new("escapes the folder", Path.Combine(imageFolder, "..", "..", "etc", "shadow")),
        new("dot dot", ".."),
        new("comma", "disk.img,file=/etc/shadow"),
        new("QEMU drive options", "file=/etc/passwd,script=/bin/sh"),
        new("newline", "disk.img\n"),
        new("NUL", "disk.img\0"),
        new("256 characters", new string('a', 252) + ".img"),
    ];

    public static IReadOnlyList<HostileValue> NicModels { get; } =
    [
        new("empty", ""),
        new("another model", "rtl8139"),
        new("uppercase", "E1000"),
        new("QEMU comma", "e1000,script=/tmp/x"),
        new("QEMU device options", "virtio-net-pci,netdev=x"),
        new("extra QEMU argument", "e1000 -device x"),
        new("option", "-device"),
        new("newline", "e1000\n"),
    ];

    /// <summary>Memory values as YAML or JSON tokens (numbers out of 64–8192 MiB, and things that are not numbers).</summary>
    public static IReadOnlyList<HostileValue> MemoryTokens { get; } =
    [
        new("zero", "0"),
        new("negative", "-1"),
        new("63", "63"),
        new("8193", "8193"),
        new("over int", "2147483648"),
        new("word", "lots"),
        new("QEMU comma", "256,script=/tmp/x"),
        new("list", "[256]"),
        new("fraction", "256.5"),
        new("NUL after the number", "\"256\\0\""),
    ];

    public static IReadOnlyList<HostileValue> CaptureFilters { get; } =
    [
        .. Around("icmp"),
        new("not BPF", "port banana"),
        new("dangling and", "icmp and and"),
        new("port out of range", "tcp port 99999"),
        new("bad MAC", "ether host zz:zz:zz:zz:zz:zz"),
        new("tcpdump option", "-w /tmp/x"),
        new("fullwidth", "ｉｃｍｐ"),
        new("over 1024 characters", string.Join(" or ", Enumerable.Repeat("icmp", 300))),
    ];

    /// <summary>
    /// Guest commands that are not one line of text. The escape sequence, control-C, control-D and over 4 KiB are
    /// refused only once the guest-command rule refuses every control character and more than 4 KiB (a change made
    /// on another branch); the agent's markers are hostile only after a line break, which forges a line of its own
    /// (the command itself travels base64-encoded, and output lines are prefixed).
    /// </summary>
    public static IReadOnlyList<HostileValue> GuestCommands { get; } =
    [
        new("empty", ""),
        new("spaces", "   "),
        new("tab", "\t"),
        new("newline", "echo a\nreboot"),
        new("carriage return", "echo a\rreboot"),
        new("NUL", "echo a\0reboot"),
        new("forged end marker after newline", "true\nNETDASH-END 000000000000 0"),
        new("forged end marker after carriage return", "true\rNETDASH-END 000000000000 0"),
        new("forged run line after newline", "true\nNETDASH-RUN 000000000000 cmVib290"),
        new("escape sequence", "echo \u001b[2J"),
        new("control-C", "sleep 9\u0003"),
        new("control-D", "cat\u0004"),
        new("over 4 KiB", "echo " + new string('a', 5000)),
    ];

    /// <summary>Namespaces are exactly host, wan or pc.</summary>
    /// <summary>What a trace may be asked to send: icmp, tcp:PORT or udp:53, nothing else.</summary>
    public static IReadOnlyList<HostileValue> TraceProtocols { get; } =
    [
        .. Around("tcp:80").Where(v => v.Value.Length > 0),
        new("uppercase", "ICMP"),
        new("port zero", "tcp:0"),
        new("port over 65535", "tcp:65536"),
        new("signed port", "tcp:+80"),
        new("UDP other than DNS", "udp:54"),
        new("unknown protocol", "sctp:80"),
        new("no port", "tcp"),
        new("shell after", "icmp;reboot"),
        new("option", "-f"),
    ];

    public static IReadOnlyList<HostileValue> Namespaces { get; } =
    [
        .. Around("host"),
        new("uppercase", "HOST"),
        new("root namespace", "root"),
        new("number", "1"),
        new("flags", "Host, Pc"),
        new("full namespace name", "netdash-x-host"),
    ];
}

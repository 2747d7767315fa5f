using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// How a value must be refused: the status, and the field its problem names (a trailing * matches a prefix, as
/// "line *" for a place in a lab file); no field for a request the web server refuses before the app sees it.
/// </summary>
public sealed record Refusal(int Status, string? Field)
{
    public static Refusal BadRequest(string field) => new(400, field);

    /// <summary>Kestrel answers 400 without a body to a request whose path holds a NUL (%00), before any middleware runs.</summary>
    public static Refusal ByTheWebServer { get; } = new(400, null);

    public bool Names(string field) =>
        Field is not null && (Field.EndsWith('*') ? field.StartsWith(Field[..^1], StringComparison.Ordinal) : field == Field);
}

/// <summary>A lab file that must be refused, and how.</summary>
public sealed record HostileLabFile(string Id, string Yaml, Refusal Refusal);

/// <summary>
/// Lab files with one hostile value each, made from a valid file that sets every field a lab file has, and lab files
/// that are malformed as a whole (anchor bombs, deep nesting, unknown fields, wrong types, sizes). The valid file is
/// tested too, so each refusal is the hostile value's and nothing else's.
/// </summary>
public static partial class HostileLabFiles
{
    // Every field of a lab file (labs/README.md), each a {token} named by its path in the file.
    private const string Template = """
        name: {name}
        description: {description}
        world:
          uplink: {world.uplink}
          uplinkGateway: {world.uplinkGateway}
          internetServer: {world.internetServer}
          pc: {world.pc}
          pcGateway: {world.pcGateway}
        host:
          forwarding: true
          bridges:
            - name: {host.bridges[0].name}
              ports: [{host.bridges[0].ports[0]}]
              addresses: [{host.bridges[0].addresses[0]}]
          interfaces:
            - name: {host.interfaces[0].name}
              addresses: ["10.0.0.1/24"]
          masquerade:
            - source: {host.masquerade[0].source}
              outInterface: {host.masquerade[0].outInterface}
          routes:
            - to: {host.routes[0].to}
              via: {host.routes[0].via}
        vms:
          - name: {vms[0].name}
            mac: {vms[0].mac}
            tap: {vms[0].tap}
            nic: {vms[0].nic}
            memory: {vms[0].memory}
            image: {vms[0].image}
            address: {vms[0].address}
            gateway: {vms[0].gateway}

        """;

    /// <summary>A field of the template: its valid value and the hostile ones; a raw field takes YAML tokens (a number), not text.</summary>
    private sealed record Field(string Path, string Valid, IReadOnlyList<HostileValue> Hostile, bool Raw = false);

    private static IReadOnlyList<Field> Fields(string lab, string imageFolder) =>
    [
        new("name", lab, HostileValues.LabNames),
        new("description", "one hostile value at a time", [new("4097 characters", new string('d', 4097))]),
        new("world.uplink", "10.180.13.232/24", HostileValues.InterfaceAddresses),
        new("world.uplinkGateway", "10.180.13.1", HostileValues.Ipv4Addresses),
        new("world.internetServer", "203.0.113.5", HostileValues.Ipv4Addresses),
        new("world.pc", "192.168.1.3/24", HostileValues.InterfaceAddresses),
        new("world.pcGateway", "192.168.1.1", HostileValues.Ipv4Addresses),
        new("host.bridges[0].name", "br0", HostileValues.InterfaceNames),
        new("host.bridges[0].ports[0]", "ens192", HostileValues.InterfaceNames),
        new("host.bridges[0].addresses[0]", "192.168.1.1/24", HostileValues.InterfaceAddresses),
        new("host.interfaces[0].name", "tap0", HostileValues.InterfaceNames),
        new("host.masquerade[0].source", "192.168.1.0/24", HostileValues.MasqueradeSources),
        new("host.masquerade[0].outInterface", "ens160", HostileValues.InterfaceNames),
        new("host.routes[0].to", "10.9.0.0/16", HostileValues.Subnets),
        new("host.routes[0].via", "10.180.13.1", HostileValues.Ipv4Addresses),
        new("vms[0].name", "vm1", HostileValues.VmNames),
        new("vms[0].mac", "52:54:98:76:54:30", HostileValues.Macs),
        new("vms[0].tap", "tap0", HostileValues.InterfaceNames),
        new("vms[0].nic", "e1000", HostileValues.NicModels),
        new("vms[0].memory", "256", HostileValues.MemoryTokens, Raw: true),
        new("vms[0].image", "builtin", HostileValues.Images(imageFolder)),
        new("vms[0].address", "192.168.1.10/24", HostileValues.InterfaceAddresses),
        new("vms[0].gateway", "192.168.1.1", HostileValues.Ipv4Addresses),
    ];

    /// <summary>The template with every field valid: a lab file the loader accepts.</summary>
    public static string Valid(string lab) => Render(Fields(lab, "/images"), null, null);

    /// <summary>One lab file per field and hostile value; the refusal names that field.</summary>
    public static IEnumerable<HostileLabFile> OneHostileValue(string lab, string imageFolder)
    {
        var fields = Fields(lab, imageFolder);
        // A value is refused by its field; one the YAML reader refuses first (a NUL, a token that is no number where a
        // number belongs) by its place in the file.
        return fields.SelectMany(field => field.Hostile.Select(value =>
            new HostileLabFile($"{field.Path}: {value.Label}", Render(fields, field, value.Value),
                Refusal.BadRequest(value.Value.Contains('\0') || field.Raw && !int.TryParse(value.Value, out _) ? "line *" : field.Path))));
    }

    /// <summary>Lab files that are malformed as a whole: the refusal names the place in the file, or the list or size that is too big.</summary>
    public static IEnumerable<HostileLabFile> Malformed(string lab)
    {
        var valid = Valid(lab);
        var vm = "{name: vm1, mac: \"52:54:98:76:54:30\", tap: tap0}";
        HostileLabFile AtALine(string id, string yaml) => new(id, yaml, Refusal.BadRequest("line *"));
        return
        [
            AtALine("anchor bomb", $"name: {lab}\n" + string.Join("\n", AnchorBomb())),
            AtALine("alias", $"name: &n {lab}\ndescription: *n\n"),
            AtALine("merge key", $"name: {lab}\nvms:\n  - &v {vm}\n  - {{<<: *v, name: vm2}}\n"),
            AtALine("nested 40 deep", $"name: {lab}\nvms: {new string('[', 40)}{new string(']', 40)}\n"),
            AtALine("20001 values", $"name: {lab}\nvms: [{string.Join(',', Enumerable.Repeat("1", 20_001))}]\n"),
            AtALine("unknown field", valid + "script: /tmp/x\n"),
            AtALine("unknown VM field", valid.Replace("    gateway:", "    extraArgs: \"-device x\"\n    gateway:", StringComparison.Ordinal)),
            AtALine("vms is a number", $"name: {lab}\nvms: 5\n"),
            AtALine("host is a list", $"name: {lab}\nhost: [1, 2]\n"),
            AtALine("forwarding is a word", $"name: {lab}\nhost:\n  forwarding: maybe\n"),
            AtALine("a scalar, not a mapping", "root:*:19000:0:99999:7:::\n"),
            AtALine("a plain word", "hello\n"),
            AtALine("a number", "42\n"),
            AtALine("binary", "\u0001\u0002\u0003\u0000\u00ff"),
            AtALine("NUL byte", valid.Replace("description:", "description: a\0b\ndescription2:", StringComparison.Ordinal)),
            AtALine("tab indentation", $"name: {lab}\nhost:\n\tforwarding: true\n"),
            AtALine("python tag", $"name: !!python/object/apply:os.system [\"reboot\"]\n"),
            AtALine("duplicate key", valid + $"name: {lab}x\n"),
            AtALine("second document", valid + "---\nname: other\n"),
            new("33 VMs", $"name: {lab}\nvms: [{string.Join(',', Enumerable.Repeat(vm, 33))}]\n", Refusal.BadRequest("vms")),
            new("65 bridges", $"name: {lab}\nhost:\n  bridges: [{string.Join(',', Enumerable.Repeat("{name: br0}", 65))}]\n", Refusal.BadRequest("host.bridges")),
            new("over 256 KiB", $"name: {lab}\ndescription: \"{new string('d', 300 * 1024)}\"\n", Refusal.BadRequest("file")),
        ];
    }

    // Nine levels of nine aliases each: a few hundred bytes that expand to 9^9 values.
    private static IEnumerable<string> AnchorBomb()
    {
        yield return "a0: &a0 [x, x, x, x, x, x, x, x, x]";
        for (var level = 1; level < 9; level++)
            yield return $"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 9))}]";
    }

    private static string Render(IReadOnlyList<Field> fields, Field? hostileField, string? hostileValue) =>
        // One pass, so a value that holds a {token} is never replaced again.
        Token().Replace(Template, match =>
        {
            var field = fields.Single(f => f.Path == match.Groups[1].Value);
            var value = field == hostileField ? hostileValue! : field.Valid;
            return field.Raw && field == hostileField ? value : Quoted(value);
        });

    /// <summary>A YAML double-quoted scalar that holds exactly <paramref name="value"/>, control characters included.</summary>
    public static string Quoted(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\0' => "\\0",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(CultureInfo.InvariantCulture),
            });
        }
        return quoted.Append('"').ToString();
    }

    [GeneratedRegex(@"\{([a-zA-Z0-9.\[\]]+)\}")]
    private static partial Regex Token();
}

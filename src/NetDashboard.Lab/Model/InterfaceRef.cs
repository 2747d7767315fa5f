using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetDashboard.Lab.Model;

/// <summary>
/// One interface of a lab: the namespace it is in (host, wan or pc) and its name. Written "host/tap0" (in URLs, pane
/// lists, pcapng interface names and JSON), and parsed and formatted here only.
/// </summary>
[JsonConverter(typeof(InterfaceRefJson))]
public readonly record struct InterfaceRef(NamespaceRole Role, string Name)
{
    public static InterfaceRef Host(string name) => new(NamespaceRole.Host, name);

    public override string ToString() => $"{Role.Word()}/{Name}";

    /// <summary>"host/tap0" with a valid interface name; anything else (another role, a bad name, no slash) is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out InterfaceRef reference)
    {
        reference = default;
        if (text?.Split('/') is not [var role, var name] || InputRules.CheckInterfaceName(name) is not null) return false;
        NamespaceRole? parsed = role switch { "host" => NamespaceRole.Host, "wan" => NamespaceRole.Wan, "pc" => NamespaceRole.Pc, _ => null };
        if (parsed is null) return false;
        reference = new(parsed.Value, name);
        return true;
    }

    public static InterfaceRef Parse(string text) =>
        TryParse(text, out var reference) ? reference : throw new FormatException($"'{text}' is not a namespace (host, wan or pc), '/' and an interface name");
}

/// <summary>JSON keeps the spelling "host/tap0" the API always had.</summary>
public sealed class InterfaceRefJson : JsonConverter<InterfaceRef>
{
    public override InterfaceRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        InterfaceRef.TryParse(reader.GetString(), out var reference) ? reference : throw new JsonException("not an interface reference (host/tap0)");

    public override void Write(Utf8JsonWriter writer, InterfaceRef value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());

    public override InterfaceRef ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, InterfaceRef value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}

using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace NetDashboard.Lab.Model;

/// <summary>
/// Reads a lab file (YAML, schema in labs/README.md) and validates every value,
/// reporting all problems at once with the field that holds each.
/// </summary>
public static partial class LabFileLoader
{
    // A key given twice is refused: a reader sees the first, the loader would take the last.
    private static readonly IDeserializer Deserializer = new StaticDeserializerBuilder(new LabFileYamlContext())
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>The most a lab file may hold; each is far beyond a real lab and keeps a hostile file cheap to refuse.</summary>
    public static class Limits
    {
        public const int FileBytes = 256 * 1024;
        public const int Nodes = 20_000;
        public const int Depth = 16;
        public const int DescriptionCharacters = 4096;
        public const int Bridges = 64;
        public const int PortsPerBridge = 64;
        public const int Interfaces = 64;
        public const int AddressesPerInterface = 32;
        public const int MasqueradeRules = 16;
        public const int Routes = 64;
        public const int Vms = 32;
    }

    public static LabDefinition Parse(string yaml, string source, string? nameOverride = null)
    {
        if (yaml.Length > Limits.FileBytes)
            throw new LabFileException(source, [new LabFileProblem("file", $"a lab file is at most {Limits.FileBytes / 1024} KiB; this one has {yaml.Length} characters")]);
        if (ShapeProblem(yaml) is { } shape)
            throw new LabFileException(source, [shape]);
        LabFile file;
        try
        {
            file = Deserializer.Deserialize<LabFile?>(yaml) ?? new LabFile();
        }
        catch (YamlException e)
        {
            throw new LabFileException(source, [new LabFileProblem($"line {e.Start.Line}, column {e.Start.Column}", ReasonOf(e))]);
        }
        var problems = new List<LabFileProblem>();
        var definition = new Converter(problems).Convert(file, nameOverride);
        if (problems.Count > 0)
            throw new LabFileException(source, problems);
        return definition;
    }

    /// <summary>
    /// One linear pass over the YAML events before anything is built: no alias (an anchor bomb expands a few bytes
    /// into millions of nodes), at most <see cref="Limits.Nodes"/> nodes, nested at most <see cref="Limits.Depth"/> deep.
    /// </summary>
    private static LabFileProblem? ShapeProblem(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var (nodes, depth) = (0, 0);
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                string At() => $"line {current.Start.Line}, column {current.Start.Column}";
                // The document is a mapping (or empty): a plain word, a number or a list is no lab file, said before
                // the deserializer meets it where it wants a mapping and fails with an exception of no use to a person.
                if (nodes == 0 && current is NodeEvent and not MappingStart && !(current is Scalar { Value: "" or "~" or "null" or "Null" or "NULL" }))
                    return new(At(), NotALabFile);
                switch (current)
                {
                    case AnchorAlias:
                        return new(At(), "aliases (*name) are not used in lab files; write the value out");
                    // .NET's number parsing ignores trailing NULs ("256\0" reads as 256): no value of a lab file holds one.
                    case Scalar scalar when scalar.Value.Contains('\0'):
                        return new(At(), "a value holds a NUL character (\\0); no value of a lab file has one");
                    case MappingStart or SequenceStart when ++depth > Limits.Depth:
                        return new(At(), $"nested more than {Limits.Depth} levels deep; a lab file is never that deep");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
                if (current is NodeEvent && ++nodes > Limits.Nodes)
                    return new(At(), $"more than {Limits.Nodes} values; a lab file is far smaller");
            }
            return null;
        }
        catch (YamlException e)
        {
            return new LabFileProblem($"line {e.Start.Line}, column {e.Start.Column}", ReasonOf(e));
        }
    }

    private const string NotALabFile = "this is not a lab file: a lab file is a YAML mapping of name, description, world, host and vms (see labs/README.md)";

    // YamlDotNet's messages can quote the text they failed on; a lab file read from any path must not be echoed.
    private static string ReasonOf(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        // A key is quoted only when it looks like a field name: a file that is not YAML at all is one long "key".
        if (UnknownProperty().Match(message) is { Success: true } unknown)
            return FieldLike().IsMatch(unknown.Groups[1].Value)
                ? $"'{unknown.Groups[1].Value}' is not a field of a lab file here (see labs/README.md)"
                : NotALabFile;
        if (message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase))
            return "this key is given twice in one mapping; give each key once";
        if (e.InnerException is FormatException or OverflowException or InvalidCastException)
            return "this value has the wrong type (a number, true or false, a list or a mapping belongs here; see labs/README.md)";
        return e is SyntaxErrorException or SemanticErrorException
            ? Printable.Quote(message.Replace("\n", " ", StringComparison.Ordinal), 160)
            : "this is not the shape of a lab file here (see labs/README.md)";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,31}\z")]
    private static partial System.Text.RegularExpressions.Regex FieldLike();

    [System.Text.RegularExpressions.GeneratedRegex("^Property '(.*)' not found on type")]
    private static partial System.Text.RegularExpressions.Regex UnknownProperty();
}

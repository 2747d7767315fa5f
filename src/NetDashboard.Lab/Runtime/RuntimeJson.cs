using NetDashboard.Lab.Model;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The runtime folder's JSON (lab record, journal lines) by generated code: a CLI run writes both, and reflection-based
/// serialization would be compiled afresh in every process (bench/README.md).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LabRecord))]
[JsonSerializable(typeof(JournalEntry))]
internal sealed partial class RuntimeJson : JsonSerializerContext;

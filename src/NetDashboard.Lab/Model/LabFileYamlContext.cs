using YamlDotNet.Serialization;

namespace NetDashboard.Lab.Model;

/// <summary>
/// The lab file's YAML shape, generated at build time (Vecc.YamlDotNet.Analyzers.StaticGenerator): reading a lab file
/// then builds no deserializer by reflection, which every `lab up` process paid for again.
/// </summary>
[YamlStaticContext]
[YamlSerializable(typeof(LabFileLoader.LabFile))]
[YamlSerializable(typeof(LabFileLoader.WorldFile))]
[YamlSerializable(typeof(LabFileLoader.HostFile))]
[YamlSerializable(typeof(LabFileLoader.BridgeFile))]
[YamlSerializable(typeof(LabFileLoader.InterfaceFile))]
[YamlSerializable(typeof(LabFileLoader.MasqueradeFile))]
[YamlSerializable(typeof(LabFileLoader.RouteFile))]
[YamlSerializable(typeof(LabFileLoader.VmFile))]
// Public because the generator declares its half public.
public partial class LabFileYamlContext : StaticContext;

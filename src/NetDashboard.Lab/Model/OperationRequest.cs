using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>
/// A change asked for by a person (a dialog, an HTTP body): plain strings, validated into a typed
/// <see cref="LabOperation"/> before anything runs. The UI and the API share it, so both refuse the same input the same way.
/// </summary>
public sealed record OperationRequest
{
    /// <summary>createBridge, deleteBridge, addBridgePort, removeBridgePort, setLinkState, addAddress, removeAddress,
    /// setForwarding, addMasquerade, removeMasquerade, addRoute, removeRoute.</summary>
    public required string Kind { get; init; }
    /// <summary>host (default), wan or pc.</summary>
    public string? Namespace { get; init; }
    public string? Bridge { get; init; }
    public string? Link { get; init; }
    public string? Address { get; init; }
    public bool? Up { get; init; }
    public bool? Enabled { get; init; }
    public string? Source { get; init; }
    public string? OutInterface { get; init; }
    public string? To { get; init; }
    public string? Via { get; init; }

    public static IReadOnlyList<string> Kinds { get; } =
    [
        "createBridge", "deleteBridge", "addBridgePort", "removeBridgePort", "setLinkState", "addAddress", "removeAddress",
        "setForwarding", "addMasquerade", "removeMasquerade", "addRoute", "removeRoute",
    ];

    /// <summary>The typed operation for lab <paramref name="lab"/>, or the problems, each naming its field.</summary>
    public (LabOperation? Operation, IReadOnlyList<LabFileProblem> Problems) ToOperation(string lab)
    {
        var problems = new List<LabFileProblem>();
        var names = new LabNamespaces(lab);
        // Exactly one of the three words: Enum.TryParse would also take "7" and "Host, Pc".
        NamespaceRole? parsed = Namespace switch { null or "host" => NamespaceRole.Host, "wan" => NamespaceRole.Wan, "pc" => NamespaceRole.Pc, _ => null };
        if (parsed is null)
            problems.Add(LabFileProblem.Of("namespace", Namespace, "a namespace is host, wan or pc"));
        var role = parsed ?? NamespaceRole.Host;
        var ns = names.NameOf(role);

        string Name(string field, string? value)
        {
            if (LabFileProblem.Check(field, value, InputRules.CheckInterfaceName) is { } problem)
                problems.Add(problem);
            return value ?? "";
        }

        T? Parsed<T>(string field, string? value, Func<string?, string?> rule, Func<string, T> parse) where T : class
        {
            if (LabFileProblem.Check(field, value, rule) is not { } problem)
                return parse(value!);
            problems.Add(problem);
            return null;
        }

        bool Flag(string field, bool? value)
        {
            if (value is null) problems.Add(new(field, "is required (true or false)"));
            return value ?? false;
        }

        LabOperation? operation = Kind switch
        {
            "createBridge" => new CreateBridge(ns, Name("bridge", Bridge)),
            "deleteBridge" => new DeleteBridge(ns, Name("bridge", Bridge)),
            "addBridgePort" => new AddBridgePort(ns, Name("bridge", Bridge), Name("link", Link)),
            "removeBridgePort" => new RemoveBridgePort(ns, Name("bridge", Bridge), Name("link", Link)),
            "setLinkState" => new SetLinkState(ns, Name("link", Link), Flag("up", Up)),
            "addAddress" => Parsed("address", Address, InputRules.CheckInterfaceAddress, InterfaceAddress.Parse) is { } a
                ? new AddAddress(ns, Name("link", Link), a) : null,
            "removeAddress" => Parsed("address", Address, InputRules.CheckInterfaceAddress, InterfaceAddress.Parse) is { } a
                ? new RemoveAddress(ns, Name("link", Link), a) : null,
            "setForwarding" => new SetForwarding(ns, Flag("enabled", Enabled)),
            "addMasquerade" => Parsed("source", Source, InputRules.CheckMasqueradeSource, Subnet.Parse) is { } s
                ? new AddMasquerade(ns, s, OutInterfaceOrNull(problems), RuleTags.Of(lab)) : null,
            "removeMasquerade" => Parsed("source", Source, InputRules.CheckSubnet, Subnet.Parse) is { } s
                ? new RemoveMasquerade(ns, s, OutInterfaceOrNull(problems), RuleTags.Of(lab)) : null,
            "addRoute" => Route(problems, (to, via) => new AddRoute(ns, to, via)),
            "removeRoute" => Route(problems, (to, via) => new RemoveRoute(ns, to, via)),
            _ => null,
        };
        if (!Kinds.Contains(Kind))
            problems.Add(new("kind", $"'{Kind}' is not an operation; use one of {string.Join(", ", Kinds)}"));
        return problems.Count > 0 ? (null, problems) : (operation, problems);
    }

    private string? OutInterfaceOrNull(List<LabFileProblem> problems)
    {
        if (string.IsNullOrEmpty(OutInterface)) return null;
        if (InputRules.CheckInterfaceName(OutInterface) is { } problem)
            problems.Add(LabFileProblem.Of("outInterface", OutInterface, problem));
        return OutInterface;
    }

    private LabOperation? Route(List<LabFileProblem> problems, Func<Subnet, IPAddress, LabOperation> make)
    {
        var to = To is "default" ? "0.0.0.0/0" : To;
        if (LabFileProblem.Check("to", to, InputRules.CheckSubnet) is { } toProblem)
            problems.Add(toProblem);
        if (LabFileProblem.Check("via", Via, InputRules.CheckIpv4) is { } viaProblem)
            problems.Add(viaProblem);
        return problems.Count == 0 ? make(Subnet.Parse(to!), IPAddress.Parse(Via!)) : null;
    }
}

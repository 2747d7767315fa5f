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
    /// setForwarding, addMasquerade, removeMasquerade, addRoute, removeRoute, removeFirewallRule, removeBlockingRoute,
    /// setRpFilter, setMtu, flushConntrack.</summary>
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
    /// <summary>removeFirewallRule: filter, nat, mangle, raw or security.</summary>
    public string? Table { get; init; }
    /// <summary>removeFirewallRule: the rule as `iptables -S` prints it, like "-A FORWARD -j DROP".</summary>
    public string? Rule { get; init; }
    /// <summary>removeBlockingRoute: blackhole, unreachable, prohibit or throw.</summary>
    public string? RouteType { get; init; }
    /// <summary>setRpFilter: 0 (off), 1 (strict) or 2 (loose).</summary>
    public int? Mode { get; init; }
    /// <summary>setMtu: 68 to 65535.</summary>
    public int? Mtu { get; init; }

    public static IReadOnlyList<string> Kinds { get; } =
    [
        "createBridge", "deleteBridge", "addBridgePort", "removeBridgePort", "setLinkState", "addAddress", "removeAddress",
        "setForwarding", "addMasquerade", "removeMasquerade", "addRoute", "removeRoute",
        "removeFirewallRule", "removeBlockingRoute", "setRpFilter", "setMtu", "flushConntrack",
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

        string OneOf(string field, string? value, string rule, params string[] words)
        {
            if (value is null || !words.Contains(value)) problems.Add(LabFileProblem.Of(field, value, rule));
            return value ?? "";
        }

        int Number(string field, int? value, int min, int max, string rule)
        {
            if (value is not { } number || number < min || number > max)
                problems.Add(LabFileProblem.Of(field, value?.ToString(System.Globalization.CultureInfo.InvariantCulture), rule));
            return value ?? 0;
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
            "removeFirewallRule" => (OneOf("table", Table, "a table is filter, nat, mangle, raw or security", "filter", "nat", "mangle", "raw", "security"),
                    Parsed("rule", Rule, InputRules.CheckFirewallRule, rule => IptablesWords.Split(rule)!)) is (var table, { } words)
                ? new RemoveFirewallRule(ns, table, words[1], words.Skip(2).ToArray()) : null,
            "removeBlockingRoute" => (OneOf("routeType", RouteType, "a blocking route's type is blackhole, unreachable, prohibit or throw",
                    "blackhole", "unreachable", "prohibit", "throw"), Destination(problems)) is (var type, { } to)
                ? new RemoveBlockingRoute(ns, to, type) : null,
            // "all" is a keyword to ip, but here it is the sysctl folder every link's value is combined with.
            "setRpFilter" => new SetRpFilter(ns, Link is "all" ? "all" : Name("link", Link),
                Number("mode", Mode, 0, 2, "rp_filter is 0 (off), 1 (strict) or 2 (loose)")),
            "setMtu" => new SetMtu(ns, Name("link", Link), Number("mtu", Mtu, 68, 65535, "an MTU is a whole number from 68 to 65535")),
            "flushConntrack" => new FlushConntrack(ns),
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
        var to = Destination(problems);
        if (LabFileProblem.Check("via", Via, InputRules.CheckIpv4) is { } viaProblem)
            problems.Add(viaProblem);
        return problems.Count == 0 ? make(to!, IPAddress.Parse(Via!)) : null;
    }

    /// <summary>The route's destination, "default" standing for 0.0.0.0/0; null (and a problem on "to") when it is none.</summary>
    private Subnet? Destination(List<LabFileProblem> problems)
    {
        var to = To is "default" ? "0.0.0.0/0" : To;
        if (LabFileProblem.Check("to", to, InputRules.CheckSubnet) is not { } problem)
            return Subnet.Parse(to!);
        problems.Add(problem);
        return null;
    }
}

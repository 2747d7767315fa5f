using System.Text;
using System.Text.Json;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>One request the HTTP API must refuse, and how.</summary>
/// <param name="Body">The request body as sent (JSON unless <paramref name="ContentType"/> says otherwise), or null.</param>
public sealed record ApiCase(string Id, HttpMethod Method, string Path, string? Body, Refusal Refusal, string ContentType = "application/json")
{
    // curl's threshold for asking first.
    private const int AskBeforeSendingFrom = 1024 * 1024;

    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(Method, Path)
        {
            Content = Body is null ? null : new StringContent(Body, Encoding.UTF8, ContentType),
        };
        // As curl does with a large body: ask before sending it. Kestrel answers a body over its limit with 413 and
        // closes the connection, so a client still uploading may get EPIPE instead of the answer.
        if (Body?.Length > AskBeforeSendingFrom)
            request.Headers.ExpectContinue = true;
        return request;
    }
}

/// <summary>
/// The corpus as HTTP requests: every field of every endpoint (route segments, query values, body fields), each
/// with the hostile values of its kind, plus bodies that are malformed as a whole.
/// </summary>
public static class HostileApiCases
{
    private const int OneMiB = 1024 * 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<HostileTarget, IReadOnlyDictionary<string, ApiCase>> Built = new();

    /// <summary>Every case by its id (the ids are the same for any target).</summary>
    public static IReadOnlyDictionary<string, ApiCase> For(HostileTarget target) => Built.GetOrAdd(target, Build);

    private static IReadOnlyDictionary<string, ApiCase> Build(HostileTarget target)
    {
        var cases = new List<ApiCase>();
        cases.AddRange(LabNamesInRoutes(target));
        cases.AddRange(Operations(target));
        cases.AddRange(Exec(target));
        cases.AddRange(Trace(target));
        cases.AddRange(VmNamesInRoutes(target));
        cases.AddRange(Captures(target));
        cases.AddRange(CreateLab(target));
        cases.AddRange(Journal(target));
        return cases.ToDictionary(c => c.Id);
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

    // The field a route segment is judged by; Kestrel itself refuses a NUL (%00) in a path.
    private static Refusal InPath(HostileValue value, string field) => value.Value.Contains('\0') ? Refusal.ByTheWebServer : Refusal.BadRequest(field);

    private static string Json(object body) => JsonSerializer.Serialize(body);

    // A path segment of only dots is folded away by every client before it is sent: it cannot reach a route.
    private static IEnumerable<HostileValue> InRoute(IEnumerable<HostileValue> values) => values.Where(v => v.Value.Trim('.').Length > 0);

    private static IEnumerable<ApiCase> LabNamesInRoutes(HostileTarget target) =>
        InRoute(HostileValues.LabNames).SelectMany(name => new ApiCase[]
        {
            new($"lab in operations: {name.Label}", HttpMethod.Post, $"api/labs/{Segment(name.Value)}/operations",
                Json(new { kind = "createBridge", bridge = "br9" }), InPath(name, "lab")),
            new($"lab in delete: {name.Label}", HttpMethod.Delete, $"api/labs/{Segment(name.Value)}", null, InPath(name, "lab")),
            new($"lab in vm start: {name.Label}", HttpMethod.Post, $"api/labs/{Segment(name.Value)}/vms/{target.Vm}/start", null, InPath(name, "lab")),
            new($"lab in exec: {name.Label}", HttpMethod.Post, $"api/labs/{Segment(name.Value)}/vms/{target.Vm}/exec",
                Json(new { command = "true" }), InPath(name, "lab")),
            new($"lab in capture: {name.Label}", HttpMethod.Get, $"api/labs/{Segment(name.Value)}/captures/host/br0.pcapng?seconds=1", null,
                InPath(name, "lab")),
            new($"lab in journal: {name.Label}", HttpMethod.Get, $"api/labs/{Segment(name.Value)}/journal", null, InPath(name, "lab")),
            new($"lab in journal output: {name.Label}", HttpMethod.Get, $"api/labs/{Segment(name.Value)}/journal/outputs/1.txt", null, InPath(name, "lab")),
        });

    // A page is bounded (take 0 to 1000) and an output file is outputs/N.txt of the lab's folder, nothing else.
    private static IEnumerable<ApiCase> Journal(HostileTarget target) =>
    [
        .. new[] { "-1", "-2147483648" }.Select(skip =>
            new ApiCase($"journal skip: {skip}", HttpMethod.Get, $"api/labs/{target.Lab}/journal?skip={skip}", null, Refusal.BadRequest("skip"))),
        .. new[] { "-1", "1001", "2147483647" }.Select(take =>
            new ApiCase($"journal take: {take}", HttpMethod.Get, $"api/labs/{target.Lab}/journal?take={take}", null, Refusal.BadRequest("take"))),
        .. new HostileValue[]
        {
            new("up a folder", "../lab.json"), new("the record", "lab.json"), new("absolute", "/etc/passwd"), new("capitals", "1.TXT"),
            new("hex", "0x1.txt"), new("ten digits", "1234567890.txt"), new("no number", ".txt"), new("newline", "1.txt\n"),
        }.Select(file => new ApiCase($"journal output: {file.Label}", HttpMethod.Get, $"api/labs/{target.Lab}/journal/outputs/{Segment(file.Value)}", null,
            InPath(file, "output"))),
    ];

    private static IEnumerable<ApiCase> Operations(HostileTarget target)
    {
        var path = $"api/labs/{target.Lab}/operations";
        ApiCase Operation(string id, object body, string field) => new($"operation {id}", HttpMethod.Post, path, Json(body), Refusal.BadRequest(field));
        ApiCase Raw(string id, string body, Refusal refusal, string contentType = "application/json") =>
            new($"operation body {id}", HttpMethod.Post, path, body, refusal, contentType);

        return
        [
            .. new HostileValue[] { new("unknown", "formatDisk"), new("empty", ""), new("capitalised", "CreateBridge"), new("shell", "createBridge;reboot"),
                new("newline", "createBridge\n") }
                .Select(kind => Operation($"kind: {kind.Label}", new { kind = kind.Value, bridge = "br9" }, "kind")),
            .. HostileValues.Namespaces.Select(ns => Operation($"namespace: {ns.Label}", new { kind = "createBridge", @namespace = ns.Value, bridge = "br9" }, "namespace")),
            .. HostileValues.InterfaceNames.Select(name => Operation($"createBridge bridge: {name.Label}", new { kind = "createBridge", bridge = name.Value }, "bridge")),
            .. HostileValues.InterfaceNames.Select(name => Operation($"deleteBridge bridge: {name.Label}", new { kind = "deleteBridge", bridge = name.Value }, "bridge")),
            .. HostileValues.InterfaceNames.Select(name => Operation($"addBridgePort link: {name.Label}", new { kind = "addBridgePort", bridge = "br0", link = name.Value }, "link")),
            .. HostileValues.InterfaceNames.Select(name => Operation($"setLinkState link: {name.Label}", new { kind = "setLinkState", link = name.Value, up = true }, "link")),
            .. HostileValues.InterfaceAddresses.Select(address => Operation($"addAddress address: {address.Label}",
                new { kind = "addAddress", link = "br0", address = address.Value }, "address")),
            .. HostileValues.InterfaceAddresses.Select(address => Operation($"removeAddress address: {address.Label}",
                new { kind = "removeAddress", link = "br0", address = address.Value }, "address")),
            .. HostileValues.MasqueradeSources.Select(source => Operation($"addMasquerade source: {source.Label}", new { kind = "addMasquerade", source = source.Value }, "source")),
            .. HostileValues.InterfaceNames.Where(name => name.Value.Length > 0).Select(name => Operation($"addMasquerade outInterface: {name.Label}",
                new { kind = "addMasquerade", source = "10.9.0.0/16", outInterface = name.Value }, "outInterface")),
            .. HostileValues.Subnets.Select(to => Operation($"addRoute to: {to.Label}", new { kind = "addRoute", to = to.Value, via = "10.180.13.1" }, "to")),
            .. HostileValues.Ipv4Addresses.Select(via => Operation($"addRoute via: {via.Label}", new { kind = "addRoute", to = "10.9.0.0/16", via = via.Value }, "via")),
            Operation("setLinkState without up", new { kind = "setLinkState", link = "br0" }, "up"),
            Operation("setForwarding without enabled", new { kind = "setForwarding" }, "enabled"),
            Raw("up is a string", """{"kind":"setLinkState","link":"br0","up":"yes"}""", Refusal.BadRequest("up")),
            Raw("up is a number", """{"kind":"setLinkState","link":"br0","up":1}""", Refusal.BadRequest("up")),
            Raw("enabled is a string", """{"kind":"setForwarding","enabled":"true"}""", Refusal.BadRequest("enabled")),
            Raw("bridge is a number", """{"kind":"createBridge","bridge":5}""", Refusal.BadRequest("bridge")),
            Raw("bridge is a list", """{"kind":"createBridge","bridge":["br9"]}""", Refusal.BadRequest("bridge")),
            Raw("bridge nested 64 deep", """{"kind":"createBridge","bridge":""" + new string('[', 64) + new string(']', 64) + "}", Refusal.BadRequest("bridge")),
            Raw("kind is a number", """{"kind":5,"bridge":"br9"}""", Refusal.BadRequest("kind")),
            Raw("kind is null", """{"kind":null,"bridge":"br9"}""", Refusal.BadRequest("kind")),
            Raw("without kind", """{"bridge":"br9"}""", Refusal.BadRequest("kind")),
            Raw("unknown field", """{"kind":"createBridge","bridge":"br9","script":"/tmp/x"}""", Refusal.BadRequest("script")),
            Raw("duplicate field", """{"kind":"createBridge","bridge":"br 0","bridge":"br9"}""", Refusal.BadRequest("bridge")),
            Raw("a list", """[{"kind":"createBridge","bridge":"br9"}]""", Refusal.BadRequest("body")),
            Raw("a string", "\"createBridge\"", Refusal.BadRequest("body")),
            Raw("null", "null", Refusal.BadRequest("body")),
            Raw("empty", "", Refusal.BadRequest("body")),
            Raw("not JSON", "kind=createBridge&bridge=br9", Refusal.BadRequest("body")),
            // System.Text.Json names where the text broke off.
            Raw("cut short", """{"kind":"createBridge","bridge":"br9""", Refusal.BadRequest("bridge")),
            Raw("with a comment", """{"kind":"createBridge", /* x */ "bridge":"br9"}""", Refusal.BadRequest("body")),
            Raw("trailing text", """{"kind":"createBridge","bridge":"br9"} reboot""", Refusal.BadRequest("body")),
            Raw("form content type", "kind=createBridge&bridge=br9", new Refusal(415, "Content-Type"), "application/x-www-form-urlencoded"),
            Raw("over 1 MiB", Json(new { kind = "createBridge", bridge = new string('b', OneMiB) }), new Refusal(413, "body")),
        ];
    }

    private static IEnumerable<ApiCase> Exec(HostileTarget target)
    {
        var path = $"api/labs/{target.Lab}/vms/{target.Vm}/exec";
        ApiCase Raw(string id, string body, Refusal refusal) => new($"exec {id}", HttpMethod.Post, path, body, refusal);
        return
        [
            .. HostileValues.GuestCommands.Select(command => Raw($"command: {command.Label}", Json(new { command = command.Value }), Refusal.BadRequest("command"))),
            .. new[] { "0", "-1", "301", "3601" }.Select(seconds => Raw($"timeoutSeconds: {seconds}", $$"""{"command":"true","timeoutSeconds":{{seconds}}}""",
                Refusal.BadRequest("timeoutSeconds"))),
            Raw("timeoutSeconds over int", """{"command":"true","timeoutSeconds":2147483648}""", Refusal.BadRequest("timeoutSeconds")),
            Raw("timeoutSeconds is a string", """{"command":"true","timeoutSeconds":"30"}""", Refusal.BadRequest("timeoutSeconds")),
            Raw("command is a number", """{"command":5}""", Refusal.BadRequest("command")),
            Raw("command is a list", """{"command":["reboot"]}""", Refusal.BadRequest("command")),
            Raw("without command", "{}", Refusal.BadRequest("command")),
            Raw("unknown field", """{"command":"true","shell":"/bin/sh"}""", Refusal.BadRequest("shell")),
            Raw("over 1 MiB", Json(new { command = "echo " + new string('a', OneMiB) }), new Refusal(413, "body")),
        ];
    }

    private static IEnumerable<ApiCase> Trace(HostileTarget target)
    {
        var path = $"api/labs/{target.Lab}/trace";
        ApiCase Raw(string id, string body, Refusal refusal) => new($"trace {id}", HttpMethod.Post, path, body, refusal);
        return
        [
            .. HostileValues.Ipv4Addresses.Select(to => Raw($"to: {to.Label}", Json(new { from = "pc", to = to.Value }), Refusal.BadRequest("to"))),
            .. HostileValues.VmNames.Select(from => Raw($"from: {from.Label}", Json(new { from = from.Value, to = "203.0.113.5" }), Refusal.BadRequest("from"))),
            .. HostileValues.TraceProtocols.Select(protocol => Raw($"protocol: {protocol.Label}",
                Json(new { from = "pc", to = "203.0.113.5", protocol = protocol.Value }), Refusal.BadRequest("protocol"))),
            Raw("to is a number", """{"from":"pc","to":3405803781}""", Refusal.BadRequest("to")),
            Raw("unknown field", """{"from":"pc","to":"203.0.113.5","count":1000000}""", Refusal.BadRequest("count")),
            Raw("over 1 MiB", Json(new { from = "pc", to = "203.0.113.5", protocol = new string('a', OneMiB) }), new Refusal(413, "body")),
        ];
    }

    private static IEnumerable<ApiCase> VmNamesInRoutes(HostileTarget target) =>
        InRoute(HostileValues.VmNames).SelectMany(vm => new ApiCase[]
        {
            new($"vm in start: {vm.Label}", HttpMethod.Post, $"api/labs/{target.Lab}/vms/{Segment(vm.Value)}/start", null, InPath(vm, "vm")),
            new($"vm in stop: {vm.Label}", HttpMethod.Post, $"api/labs/{target.Lab}/vms/{Segment(vm.Value)}/stop", null, InPath(vm, "vm")),
            new($"vm in restart: {vm.Label}", HttpMethod.Post, $"api/labs/{target.Lab}/vms/{Segment(vm.Value)}/restart", null, InPath(vm, "vm")),
            new($"vm in exec: {vm.Label}", HttpMethod.Post, $"api/labs/{target.Lab}/vms/{Segment(vm.Value)}/exec",
                Json(new { command = "true" }), InPath(vm, "vm")),
        });

    private static IEnumerable<ApiCase> Captures(HostileTarget target)
    {
        var captures = $"api/labs/{target.Lab}/captures";
        ApiCase Get(string id, string path, string field) => new($"capture {id}", HttpMethod.Get, path, null, Refusal.BadRequest(field));
        return
        [
            .. InRoute(HostileValues.Namespaces).Select(ns => Get($"namespace: {ns.Label}", $"{captures}/{Segment(ns.Value)}/br0.pcapng?seconds=1", "namespace")
                with { Refusal = InPath(ns, "namespace") }),
            .. InRoute(HostileValues.InterfaceNames).Where(name => name.Value.Length > 0)
                .Select(name => Get($"interface: {name.Label}", $"{captures}/host/{Segment(name.Value)}.pcapng?seconds=1", "interface")
                    with { Refusal = InPath(name, "interface") }),
            .. new[] { "0", "-1", "61", "2147483648", "abc", "1.5", "1e3", "1%00", "%201" }
                .Select(seconds => Get($"seconds: {seconds}", $"{captures}/host/br0.pcapng?seconds={seconds}", "seconds")),
            .. HostileValues.CaptureFilters.Select(filter => Get($"filter: {filter.Label}",
                $"{captures}/host/br0.pcapng?seconds=1&filter={Uri.EscapeDataString(filter.Value)}", "filter")),
            .. new[] { "0", "-1", "10001", "abc", "1%00" }.Select(limit => Get($"limit: {limit}", $"{captures}/host/br0/packets?limit={limit}", "limit")),
            .. new HostileValue[]
            {
                new("none", ""), new("17 panes", string.Join(',', Enumerable.Repeat("host/br0", 17))), new("option", "host/-i"),
                new("path traversal", "../../etc/passwd"), new("newline", "host/br0\nwan/eth0"), new("no namespace", "br0"),
                new("root namespace", "root/eth0"),
            }.Select(panes => Get($"panes: {panes.Label}", $"api/labs/{target.Lab}/captures.pcapng?panes={Uri.EscapeDataString(panes.Value)}", "panes")),
        ];
    }

    private static IEnumerable<ApiCase> CreateLab(HostileTarget target)
    {
        ApiCase Post(string id, string body, Refusal refusal) => new($"create {id}", HttpMethod.Post, "api/labs", body, refusal);
        return
        [
            .. HostileValues.LabNames.Select(name => Post($"name: {name.Label}", Json(new { file = "nat-pc.yaml", name = name.Value }), Refusal.BadRequest("name"))),
            .. new HostileValue[]
            {
                new("parent folder", "../appsettings.json"), new("dot dot", ".."), new("/etc/shadow", "/etc/shadow"), new("/dev/zero", "/dev/zero"),
                new("sub folder", "sub/nat-pc.yaml"), new("NUL", "nat-pc.yaml\0"), new("missing", "no-such-lab.yaml"), new("empty", ""),
                new("newline", "nat-pc.yaml\n"), new("uppercase", "NAT-PC.YAML"),
            }.Select(file => Post($"file: {file.Label}", Json(new { file = file.Value, name = target.FreshLab }), Refusal.BadRequest("file"))),
            .. HostileLabFiles.OneHostileValue(target.FreshLab, target.ImageFolder).Concat(HostileLabFiles.Malformed(target.FreshLab))
                .Select(file => Post($"yaml {file.Id}", Json(new { yaml = file.Yaml }), file.Refusal)),
            Post("both file and yaml", Json(new { file = "nat-pc.yaml", yaml = HostileLabFiles.Valid(target.FreshLab) }), Refusal.BadRequest("file")),
            Post("name is a number", """{"file":"nat-pc.yaml","name":5}""", Refusal.BadRequest("name")),
            Post("wait is a string", $$"""{"file":"nat-pc.yaml","name":"{{target.FreshLab}}","wait":"yes"}""", Refusal.BadRequest("wait")),
            Post("yaml is a mapping", """{"yaml":{"name":"x"}}""", Refusal.BadRequest("yaml")),
            Post("unknown field", $$"""{"file":"nat-pc.yaml","name":"{{target.FreshLab}}","script":"/tmp/x"}""", Refusal.BadRequest("script")),
            Post("over 1 MiB", Json(new { yaml = $"name: {target.FreshLab}\ndescription: \"{new string('d', OneMiB)}\"\n" }), new Refusal(413, "body")),
        ];
    }
}

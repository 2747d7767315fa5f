using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>The built dashboard on a free loopback port with its own runtime folder, shared by the API tests.</summary>
public sealed class ApiServer : IAsyncLifetime
{
    private AppProcess? _app;

    public AppProcess App => _app ?? throw new InvalidOperationException("not started");

    /// <summary>A lab in this server's runtime folder, made and removed by the engine directly.</summary>
    public TestLab NewLab(string prefix) => new(prefix, RuntimeRoot);
    public string RuntimeRoot { get; } = Directory.CreateTempSubdirectory("netdash-api-").FullName;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await AppProcess.StartAsync(RuntimeRoot);
        Http = _app.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(RuntimeRoot, recursive: true);
    }
}

/// <summary>The HTTP API as a client uses it: the real app, real namespaces, HttpClient.</summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ApiTests(ApiServer server) : IClassFixture<ApiServer>, IAsyncLifetime
{
    private readonly List<string> _labs = [];
    private HttpClient Http => server.Http;

    [Fact]
    public async Task Labs_CreateNatPcThenDelete_TopologyShowsBridgeForwardingAndOneMasqueradeThenNamespacesAreGone()
    {
        var lab = NewLabName();

        var create = await Http.PostAsJsonAsync("api/labs", new { file = "nat-pc.yaml", name = lab });
        using var created = await JsonOf(create);
        var list = await Http.GetFromJsonAsync<JsonElement>("api/labs");
        using var topology = await JsonOf(await Http.GetAsync($"api/labs/{lab}/topology"));
        var host = topology.RootElement.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("role").GetString() == "host");
        var links = host.GetProperty("links").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        var journal = await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal");
        var delete = await Http.DeleteAsync($"api/labs/{lab}");
        var left = await TestLab.RootNamespacesAsync();
        var deleteAgain = await Http.DeleteAsync($"api/labs/{lab}");
        var topologyAfter = await Http.GetAsync($"api/labs/{lab}/topology");

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(lab, created.RootElement.GetProperty("lab").GetString());
        Assert.Contains(created.RootElement.GetProperty("ran").EnumerateArray(),
            e => e.GetProperty("tutorialLine").GetString() == "(host)$ brctl addbr br0");
        Assert.Contains(list.EnumerateArray(), l => l.GetProperty("name").GetString() == lab && l.GetProperty("owned").GetBoolean());
        Assert.True(links["br0"].GetProperty("adminUp").GetBoolean());
        Assert.Contains("192.168.1.1/24", links["br0"].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("br0", links["ens192"].GetProperty("master").GetString());
        Assert.True(host.GetProperty("forwarding").GetBoolean());
        Assert.Single(host.GetProperty("natRules").EnumerateArray(), r => r.GetProperty("target").GetString() == "MASQUERADE");
        Assert.Contains(journal.GetProperty("entries").EnumerateArray(), e => e.GetProperty("tutorialLine").GetString() == "(host)$ brctl addbr br0");
        Assert.Equal(journal.GetProperty("total").GetInt32(), journal.GetProperty("entries").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Empty(NamespacesOf(lab, left));
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, topologyAfter.StatusCode);
    }

    [Fact]
    public async Task Operations_CreateBridgeWithBadName_Returns400NamingBridgeAndRunsNothing()
    {
        var lab = await CreateNatPcAsync();
        var journalBefore = (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32();

        var response = await Http.PostAsJsonAsync($"api/labs/{lab}/operations", new { kind = "createBridge", bridge = "br 0; reboot" });
        using var problem = await JsonOf(response);
        var journalAfter = (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("bridge", out _));
        Assert.Equal(journalBefore, journalAfter);
    }

    [Fact]
    public async Task Operations_ValidCreateBridge_Returns200WithTutorialLineAndKernelHasTheBridge()
    {
        var lab = await CreateNatPcAsync();

        var response = await Http.PostAsJsonAsync($"api/labs/{lab}/operations", new { kind = "createBridge", bridge = "br9" });
        using var done = await JsonOf(response);
        var link = await Cli.Wrap("ip").WithArguments(["-n", $"netdash-{lab}-host", "-j", "link", "show", "br9"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("(host)$ brctl addbr br9", done.RootElement.GetProperty("message").GetString());
        Assert.Equal(0, link.ExitCode);
        Assert.Contains("\"ifname\":\"br9\"", link.StandardOutput);
    }

    [Fact]
    public async Task Operations_CommandFails_Returns422WithTheToolsStderr()
    {
        var lab = await CreateNatPcAsync();

        // Valid, not already there, but the kernel refuses it: no route reaches that gateway.
        var response = await Http.PostAsJsonAsync($"api/labs/{lab}/operations", new { kind = "addRoute", to = "10.9.0.0/16", via = "172.31.9.9" });
        using var problem = await JsonOf(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("route add -net 10.9.0.0/16 gw 172.31.9.9", problem.RootElement.GetProperty("detail").GetString());
        Assert.Contains("Nexthop has invalid gateway", problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Operations_DeleteABridgeThatIsNotThere_Returns400BeforeTheKernel()
    {
        var lab = await CreateNatPcAsync();
        var journalBefore = (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32();

        var response = await Http.PostAsJsonAsync($"api/labs/{lab}/operations", new { kind = "deleteBridge", bridge = "br7" });
        using var problem = await JsonOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("there is no bridge named br7", problem.RootElement.GetProperty("errors").GetProperty("bridge")[0].GetString());
        Assert.Equal(journalBefore, (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Operations_UnknownKind_Returns400NamingKind()
    {
        var lab = await CreateNatPcAsync();

        var response = await Http.PostAsJsonAsync($"api/labs/{lab}/operations", new { kind = "formatDisk" });
        using var problem = await JsonOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("kind", out _));
    }

    [Theory]
    [InlineData("GET", "api/labs/Bad_Name/topology")]
    [InlineData("GET", "api/labs/-dash/journal")]
    [InlineData("DELETE", "api/labs/much-too-long-a-lab-name")]
    [InlineData("POST", "api/labs/Bad_Name/vms/vm1/start")]
    public async Task Routes_BadLabName_Returns400NamingLab(string method, string path)
    {
        var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        using var problem = await JsonOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("lab", out _));
    }

    [Theory]
    [InlineData("../appsettings.json")]
    [InlineData("..")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/seed-nat.yaml")]
    [InlineData("no-such-file.yaml")]
    public async Task Labs_CreateWithFileThatIsNotAShippedLabFile_Returns400NamingFileAndCreatesNothing(string file)
    {
        var lab = NewLabName();

        var response = await Http.PostAsJsonAsync("api/labs", new { file, name = lab });
        using var problem = await JsonOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("file", out _));
        Assert.Empty(NamespacesOf(lab, await TestLab.RootNamespacesAsync()));
        Assert.False(Directory.Exists(Path.Combine(server.RuntimeRoot, lab)));
    }

    [Fact]
    public async Task Labs_CreateFromYamlWithBadValues_Returns400NamingEachFieldAndCreatesNothing()
    {
        var lab = NewLabName();
        var yaml = $"""
            name: {lab}
            host:
              bridges:
                - name: "br 0"
                  addresses: [192.168.1.300/24]
            vms:
              - name: vm1
                mac: 01:00:5e:00:00:01
                tap: tap0
            """;

        var response = await Http.PostAsJsonAsync("api/labs", new { yaml });
        using var problem = await JsonOf(response);
        var errors = problem.RootElement.GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(errors.TryGetProperty("host.bridges[0].name", out _));
        Assert.True(errors.TryGetProperty("host.bridges[0].addresses[0]", out _));
        Assert.True(errors.TryGetProperty("vms[0].mac", out _));
        Assert.Empty(NamespacesOf(lab, await TestLab.RootNamespacesAsync()));
        Assert.False(Directory.Exists(Path.Combine(server.RuntimeRoot, lab)));
    }

    [Fact]
    public async Task Labs_CreateFromYamlThenApplyAgain_Returns201ThenOkRunningNothing()
    {
        var lab = NewLabName();
        var yaml = await File.ReadAllTextAsync(TestLab.LabFile("nat-pc.yaml"));

        var first = await Http.PostAsJsonAsync("api/labs", new { yaml, name = lab });
        var second = await Http.PostAsJsonAsync("api/labs", new { yaml, name = lab });
        using var again = await JsonOf(second);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(0, again.RootElement.GetProperty("ran").GetArrayLength());
    }

    [Fact]
    public async Task Labs_CreateWithATakenNameFromAnotherFile_Refused409AndTheFirstLabUnchanged()
    {
        var lab = NewLabName();
        var first = await Http.PostAsJsonAsync("api/labs", new { file = "nat-pc.yaml", name = lab });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var savedBefore = await File.ReadAllTextAsync(Path.Combine(server.RuntimeRoot, lab, "lab.yaml"));
        var journalBefore = (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32();

        var second = await Http.PostAsJsonAsync("api/labs", new { file = "seed-bridge.yaml", name = lab });
        var problem = await second.Content.ReadAsStringAsync();
        var cli = await DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = server.RuntimeRoot },
            "lab", "up", TestLab.LabFile("seed-tap.yaml"), "--name", lab);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains($"a lab named '{lab}' exists already (made from nat-pc.yaml)", problem);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("exists already", cli.StandardError);
        Assert.Equal(savedBefore, await File.ReadAllTextAsync(Path.Combine(server.RuntimeRoot, lab, "lab.yaml")));
        Assert.Equal(journalBefore, (await Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Vms_UnknownVm_Returns404()
    {
        var lab = await CreateNatPcAsync();

        var start = await Http.PostAsync($"api/labs/{lab}/vms/vm1/start", null);
        var exec = await Http.PostAsJsonAsync($"api/labs/{lab}/vms/vm1/exec", new { command = "true" });

        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, exec.StatusCode);
    }

    [Fact]
    public async Task Vms_ExecAndStopInBuiltinGuest_ReturnsOutputAndExitCodeThenStops()
    {
        var lab = NewLabName();
        var create = await Http.PostAsJsonAsync("api/labs", new { file = "seed-tap.yaml", name = lab, wait = true });

        var echo = await Http.PostAsJsonAsync($"api/labs/{lab}/vms/vm1/exec", new { command = "echo hello-$((6*7))", timeoutSeconds = 30 });
        using var echoed = await JsonOf(echo);
        var fail = await Http.PostAsJsonAsync($"api/labs/{lab}/vms/vm1/exec", new { command = "exit 3" });
        using var failed = await JsonOf(fail);
        var badTimeout = await Http.PostAsJsonAsync($"api/labs/{lab}/vms/vm1/exec", new { command = "true", timeoutSeconds = 0 });
        using var badTimeoutProblem = await JsonOf(badTimeout);
        var stop = await Http.PostAsync($"api/labs/{lab}/vms/vm1/stop", null);
        using var topology = await JsonOf(await Http.GetAsync($"api/labs/{lab}/topology"));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.Equal(0, echoed.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("hello-42", echoed.RootElement.GetProperty("output").GetString());
        Assert.Equal(3, failed.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, badTimeout.StatusCode);
        Assert.True(badTimeoutProblem.RootElement.GetProperty("errors").TryGetProperty("timeoutSeconds", out _));
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal("stopped", topology.RootElement.GetProperty("vms")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Vms_CreateWithANameOnly_Returns201AndTheSuggestionsApplyTapUpInBr0GuestAddressed()
    {
        var lab = await CreateNatPcAsync();
        using var suggestion = await JsonOf(await Http.GetAsync($"api/labs/{lab}/vms/suggestion"));

        var create = await Http.PostAsJsonAsync($"api/labs/{lab}/vms", new { name = "vm1" });
        var body = await create.Content.ReadAsStringAsync();
        using var topology = await JsonOf(await Http.GetAsync($"api/labs/{lab}/topology"));
        var tap0 = topology.RootElement.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("role").GetString() == "host")
            .GetProperty("links").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "tap0");
        using var guest = await JsonOf(await Http.PostAsJsonAsync($"api/labs/{lab}/vms/vm1/exec", new { command = "ip -4 addr show dev eth0; ip route" }));

        Assert.Equal("tap0", suggestion.RootElement.GetProperty("tap").GetString());
        Assert.Equal("br0", suggestion.RootElement.GetProperty("bridge").GetString());
        Assert.Equal("192.168.1.10/24", suggestion.RootElement.GetProperty("address").GetString());
        Assert.Equal("192.168.1.1", suggestion.RootElement.GetProperty("gateway").GetString());
        Assert.True(create.StatusCode == HttpStatusCode.Created, body);
        Assert.Equal("br0", tap0.GetProperty("master").GetString());
        Assert.True(tap0.GetProperty("adminUp").GetBoolean());
        Assert.Contains("inet 192.168.1.10/24", guest.RootElement.GetProperty("output").GetString());
        Assert.Contains("default via 192.168.1.1", guest.RootElement.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Vms_CreateWithBadFields_Returns400NamingEachAndStartsNothing()
    {
        var lab = await CreateNatPcAsync();

        var create = await Http.PostAsJsonAsync($"api/labs/{lab}/vms",
            new { name = "vm1", address = "192.168.1.300/24", nic = "rtl8139", tap = "ta p0" });
        using var problem = await JsonOf(create);
        // A well-formed bridge name the lab lacks is judged once what was typed is valid (that needs the kernel).
        var unknownBridge = await Http.PostAsJsonAsync($"api/labs/{lab}/vms", new { name = "vm1", bridge = "br9" });
        using var bridgeProblem = await JsonOf(unknownBridge);
        using var topology = await JsonOf(await Http.GetAsync($"api/labs/{lab}/topology"));

        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        var errors = problem.RootElement.GetProperty("errors");
        foreach (var field in new[] { "address", "nic", "tap" })
            Assert.True(errors.TryGetProperty(field, out _), $"no problem names {field}: {errors}");
        Assert.Equal(HttpStatusCode.BadRequest, unknownBridge.StatusCode);
        Assert.Contains("has no bridge named 'br9' (it has: br0)", bridgeProblem.RootElement.GetProperty("errors").GetProperty("bridge")[0].GetString());
        Assert.Empty(topology.RootElement.GetProperty("vms").EnumerateArray());
    }

    [Fact]
    public async Task OpenApi_Document_ListsTheLabPathsWithOperationIds()
    {
        using var document = await JsonOf(await Http.GetAsync("openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        foreach (var path in new[] { "/api/labs", "/api/labs/{lab}", "/api/labs/{lab}/topology", "/api/labs/{lab}/operations",
                     "/api/labs/{lab}/journal", "/api/labs/{lab}/journal/script", "/api/labs/{lab}/vms", "/api/labs/{lab}/vms/{vm}/exec", "/api/labs/{lab}/vms/{vm}/start" })
            Assert.True(paths.TryGetProperty(path, out _), $"the OpenAPI document has no path {path}");
        Assert.Equal("RunOperation", paths.GetProperty("/api/labs/{lab}/operations").GetProperty("post").GetProperty("operationId").GetString());
    }

    private async Task<string> CreateNatPcAsync()
    {
        var lab = NewLabName();
        var response = await Http.PostAsJsonAsync("api/labs", new { file = "nat-pc.yaml", name = lab });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return lab;
    }

    private string NewLabName()
    {
        var name = $"api-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private static async Task<JsonDocument> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync());

    private static List<string> NamespacesOf(string lab, IEnumerable<string> namespaces) =>
        namespaces.Where(n => n == $"netdash-{lab}-host" || n == $"netdash-{lab}-wan" || n == $"netdash-{lab}-pc").ToList();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var lab in _labs)
        {
            try
            {
                await Http.DeleteAsync($"api/labs/{lab}");
            }
            finally
            {
                // Belt and braces: the exact three names, never a pattern.
                foreach (var ns in NamespacesOf(lab, await TestLab.RootNamespacesAsync()))
                    await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            }
        }
    }
}

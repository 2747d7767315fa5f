using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

/// <summary>The CLI as a person runs it: the built executable, its exit codes and its output.</summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class CliTests : IDisposable
{
    private readonly string _runtimeRoot = Directory.CreateTempSubdirectory("netdash-cli-").FullName;
    private readonly List<string> _labs = [];

    [Theory]
    [InlineData("lab", "status", "somelab")]
    [InlineData("lab", "ls")]
    [InlineData("token")]
    [InlineData("sessions", "--revoke-all")]
    public async Task AnyVerb_RunByNobody_ExitsTwoSayingItRunsAsRootAndNoCrash(params string[] args)
    {
        // A copy of the CLI in a folder nobody may enter, run as nobody with root's 0700 runtime folder.
        var folder = Directory.CreateTempSubdirectory("netdash-cli-nobody-").FullName;
        try
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
            var cli = Path.Combine(folder, "netdash");
            // Copied by cp, not File.Copy: a write handle of this process would be inherited by a process another test
            // forks meanwhile, and executing the file would then fail with "Text file busy".
            await Cli.Wrap("cp").WithArguments([DashboardCli.Program, cli]).ExecuteAsync();
            var result = await Cli.Wrap("setpriv")
                .WithArguments(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", cli, .. args])
                .WithWorkingDirectory(folder)
                .WithEnvironmentVariables(new Dictionary<string, string?> { ["NetDashboard__RuntimeRoot"] = _runtimeRoot })
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync();

            Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.StandardError}");
            Assert.Contains("runs as root", result.StandardError);
            Assert.DoesNotContain("Unhandled exception", result.StandardError);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task LabUpStatusDown_NatPc_StatusShowsBridgeForwardingAndOneMasqueradeThenDownRemovesAll()
    {
        var lab = NewLabName();
        var up = await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);
        var status = await RunAsync("lab", "status", lab, "--json");
        using var json = JsonDocument.Parse(status.StandardOutput);
        var host = json.RootElement.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("role").GetString() == "host");
        var links = host.GetProperty("links").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        var serverPid = json.RootElement.GetProperty("internetServerPid").GetInt32();
        var down = await RunAsync("lab", "down", lab);

        Assert.Equal(0, up.ExitCode);
        Assert.Equal(0, status.ExitCode);
        Assert.True(links["br0"].GetProperty("adminUp").GetBoolean());
        Assert.Contains("192.168.1.1/24", links["br0"].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("br0", links["ens192"].GetProperty("master").GetString());
        Assert.True(host.GetProperty("forwarding").GetBoolean());
        Assert.Single(host.GetProperty("natRules").EnumerateArray(), r => r.GetProperty("target").GetString() == "MASQUERADE");
        Assert.Equal(0, down.ExitCode);
        Assert.Empty(NamespacesOf(lab, await TestLab.RootNamespacesAsync()));
        Assert.False(ProcessTable.IsRunning(serverPid));
    }

    [Theory]
    [InlineData("Bad_Name")]
    [InlineData("-starts-with-dash")]
    [InlineData("much-too-long-a-lab-name")]
    public async Task LabUp_BadLabName_ExitsTwoAndCreatesNothing(string name)
    {
        var up = await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", name);

        Assert.Equal(2, up.ExitCode);
        Assert.Contains("lab name", up.StandardError);
        Assert.Empty(NamespacesOf(name, await TestLab.RootNamespacesAsync()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_runtimeRoot));
    }

    [Fact]
    public async Task LabUp_FileWithBadValues_ExitsTwoNamingEachFieldAndCreatesNothing()
    {
        var lab = NewLabName();
        var file = Path.Combine(_runtimeRoot, "bad.yaml");
        await File.WriteAllTextAsync(file, $"""
            name: {lab}
            host:
              bridges:
                - name: "br 0"
                  addresses: [192.168.1.300/24]
            vms:
              - name: vm1
                mac: 01:00:5e:00:00:01
                tap: tap0
            """);

        var up = await RunAsync("lab", "up", file);

        Assert.Equal(2, up.ExitCode);
        Assert.Contains("host.bridges[0].name", up.StandardError);
        Assert.Contains("host.bridges[0].addresses[0]", up.StandardError);
        Assert.Contains("vms[0].mac", up.StandardError);
        Assert.Contains("unicast", up.StandardError);
        Assert.Empty(NamespacesOf(lab, await TestLab.RootNamespacesAsync()));
        Assert.False(Directory.Exists(Path.Combine(_runtimeRoot, lab)));
    }

    [Fact]
    public async Task LabDown_UnknownLab_ExitsOneWithMessage()
    {
        var down = await RunAsync("lab", "down", NewLabName());

        Assert.Equal(1, down.ExitCode);
        Assert.Contains("no lab named", down.StandardError);
    }

    [Fact]
    public async Task LabJournal_Script_IsBashThatRebuildsTheLab()
    {
        var lab = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);

        var journal = await RunAsync("lab", "journal", lab);
        var script = await RunAsync("lab", "journal", lab, "--script");

        Assert.Equal(0, journal.ExitCode);
        Assert.Contains("(host)$ brctl addbr br0", journal.StandardOutput);
        Assert.StartsWith("#!/usr/bin/env bash", script.StandardOutput);
        Assert.Contains("ip -n \"netdash-${LAB}-host\" link add name br0 type bridge", script.StandardOutput);
    }

    [Fact]
    public async Task LabStatus_InterfaceNamedWithAnEscapeSequence_PrintedEscaped()
    {
        var lab = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);
        await Cli.Wrap("ip").WithArguments(["-n", new LabNamespaces(lab).Host, "link", "add", "name", "\u001b]0;PWN\u0007", "type", "bridge"]).ExecuteAsync();

        var status = await RunAsync("lab", "status", lab);

        Assert.Equal(0, status.ExitCode);
        Assert.DoesNotContain('\u001b', status.StandardOutput);
        Assert.DoesNotContain('\u0007', status.StandardOutput);
        Assert.Contains("\\x1b]0;PWN\\x07", status.StandardOutput);
    }

    [Fact]
    public async Task VmExec_GuestPrintsEscapeSequences_ShownEscapedUnlessAskedRawIntoAPipe()
    {
        var lab = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);
        await RunAsync("vm", "add", lab, "vm1");
        const string printf = "printf '\\033]52;c;aGk=\\007\\033]0;TITLE\\007done'";

        var escaped = await RunAsync("vm", "exec", lab, "vm1", "--", "sh", "-c", printf);
        var raw = await RunAsync("vm", "exec", lab, "vm1", "--raw", "--", "sh", "-c", printf);

        Assert.True(escaped.ExitCode == 0, escaped.StandardError);
        // The agent ends the output with a newline of its own.
        Assert.Equal("\\x1b]52;c;aGk=\\x07\\x1b]0;TITLE\\x07done", escaped.StandardOutput.TrimEnd('\n'));
        Assert.Equal("\u001b]52;c;aGk=\u0007\u001b]0;TITLE\u0007done", raw.StandardOutput.TrimEnd('\n'));
    }

    [Fact]
    public async Task VmAdd_NameOnly_TakesTheSuggestionsItsTapIsUpInBr0AndTheGuestHasItsAddress()
    {
        var lab = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);

        var add = await RunAsync("vm", "add", lab, "vm1");
        var guest = await RunAsync("vm", "exec", lab, "vm1", "--", "ip", "-4", "addr", "show", "dev", "eth0");
        var status = await RunAsync("lab", "status", lab, "--json");
        using var json = JsonDocument.Parse(status.StandardOutput);
        var tap0 = json.RootElement.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("role").GetString() == "host")
            .GetProperty("links").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "tap0");

        Assert.True(add.ExitCode == 0, add.StandardError);
        Assert.Contains("vm1", add.StandardOutput);
        Assert.Contains("in br0", add.StandardOutput);
        Assert.Equal("br0", tap0.GetProperty("master").GetString());
        Assert.True(tap0.GetProperty("adminUp").GetBoolean());
        Assert.Contains("inet 192.168.1.10/24", guest.StandardOutput);
    }

    [Theory]
    [InlineData("--bridge", "br9", "bridge")]
    [InlineData("--address", "192.168.1.300/24", "address")]
    [InlineData("--gateway", "10.0.0.1", "gateway")]
    [InlineData("--tap", "ta p0", "tap")]
    public async Task VmAdd_BadField_ExitsTwoNamingTheFieldAndStartsNothing(string option, string value, string field)
    {
        var lab = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", lab);

        var add = await RunAsync("vm", "add", lab, "vm1", option, value);

        Assert.Equal(2, add.ExitCode);
        Assert.Contains($"{field}:", add.StandardError);
        Assert.Empty(JsonDocument.Parse((await RunAsync("lab", "status", lab, "--json")).StandardOutput).RootElement.GetProperty("vms").EnumerateArray());
    }

    [Fact]
    public async Task Cleanup_OwnedAndForeignLabs_RemovesOnlyTheOwnedOne()
    {
        var owned = NewLabName();
        var foreign = NewLabName();
        await RunAsync("lab", "up", "labs/nat-pc.yaml", "--name", owned);
        foreach (var role in new[] { "host", "wan", "pc" })
            await Cli.Wrap("ip").WithArguments(["netns", "add", $"netdash-{foreign}-{role}"]).ExecuteAsync();

        var cleanup = await RunAsync("cleanup");
        var left = await TestLab.RootNamespacesAsync();

        Assert.Equal(0, cleanup.ExitCode);
        Assert.Contains($"removed lab {owned}", cleanup.StandardOutput);
        Assert.Empty(NamespacesOf(owned, left));
        Assert.Equal(3, NamespacesOf(foreign, left).Count);
    }

    private string NewLabName()
    {
        var name = $"cli-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private static List<string> NamespacesOf(string lab, IEnumerable<string> namespaces) =>
        namespaces.Where(n => n == $"netdash-{lab}-host" || n == $"netdash-{lab}-wan" || n == $"netdash-{lab}-pc").ToList();

    private Task<BufferedCommandResult> RunAsync(params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = _runtimeRoot }, args);

    public void Dispose()
    {
        foreach (var lab in _labs)
        {
            RunAsync("lab", "down", lab).GetAwaiter().GetResult();
            // A lab made by hand (no runtime record) is removed by its exact names.
            foreach (var ns in NamespacesOf(lab, TestLab.RootNamespacesAsync().GetAwaiter().GetResult()))
                Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync().GetAwaiter().GetResult();
        }
        Directory.Delete(_runtimeRoot, recursive: true);
    }
}

using System.Net;
using System.Net.Http.Json;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The app touches only what it owns: a lab made by hand (namespaces, a bridge, a NAT rule and a process, no record)
/// comes out of every action on other labs, of `lab down` without --foreign, of `cleanup` and of the API byte for byte
/// as it went in; only `lab down --foreign` removes it.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ForeignLabTests : IAsyncLifetime
{
    private readonly string _runtimeRoot = Directory.CreateTempSubdirectory("netdash-foreign-").FullName;
    private readonly List<string> _labs = [];

    [Fact]
    public async Task ForeignLab_EveryActionWithoutForeign_LeavesItByteIdenticalAndDownForeignRemovesIt()
    {
        await using var foreign = await ForeignLab.CreateAsync();
        var before = await foreign.SnapshotAsync();
        var after = new List<(string Step, string Snapshot)>();
        async Task Then(string step) => after.Add((step, await foreign.SnapshotAsync()));

        await using var app = await AppProcess.StartAsync(_runtimeRoot);
        using var http = app.CreateClient();
        await Then("the dashboard started on the runtime folder");
        var owned = NewLabName();
        var up = await CliAsync("lab", "up", "labs/nat-pc.yaml", "--name", owned);
        await Then($"lab up {owned}");
        var down = await CliAsync("lab", "down", owned);
        await Then($"lab down {owned}");
        var downForeign = await CliAsync("lab", "down", foreign.Name);
        await Then($"lab down {foreign.Name}");
        var second = NewLabName();
        var upSecond = await CliAsync("lab", "up", "labs/nat-pc.yaml", "--name", second);
        var cleanup = await CliAsync("cleanup");
        await Then("cleanup");
        var delete = await http.DeleteAsync($"api/labs/{foreign.Name}");
        await Then($"DELETE /api/labs/{foreign.Name}");
        var operation = await http.PostAsJsonAsync($"api/labs/{foreign.Name}/operations", new { kind = "createBridge", bridge = "br8" });
        await Then($"POST /api/labs/{foreign.Name}/operations");

        var removed = await CliAsync("lab", "down", "--foreign", foreign.Name);
        var namespacesAfterRemoval = await foreign.ExistingNamespacesAsync();

        Assert.Contains("sleep", before);
        Assert.Contains("br9", before);
        Assert.Contains("-A POSTROUTING -s 10.99.0.0/24 -j MASQUERADE", before);
        Assert.All(after, step => Assert.True(step.Snapshot == before, $"after {step.Step} the foreign lab changed:\n{step.Snapshot}\nwas:\n{before}"));
        Assert.True(up.ExitCode == 0, up.StandardError);
        Assert.True(down.ExitCode == 0, down.StandardError);
        Assert.True(downForeign.ExitCode == 2, $"exit {downForeign.ExitCode}: {downForeign.StandardError}");
        Assert.Contains($"`lab down --foreign {foreign.Name}` removes it", downForeign.StandardError);
        Assert.True(upSecond.ExitCode == 0, upSecond.StandardError);
        Assert.Contains($"removed lab {second}", cleanup.StandardOutput);
        Assert.Contains($"left alone: lab {foreign.Name} has namespaces but no record", cleanup.StandardOutput);
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Contains("--foreign", await delete.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, operation.StatusCode);
        Assert.Contains("never changed", await operation.Content.ReadAsStringAsync());
        Assert.True(removed.ExitCode == 0, removed.StandardError);
        Assert.Empty(namespacesAfterRemoval);
        Assert.False(ProcessTable.IsRunning(foreign.Pid), $"the foreign lab's process {foreign.Pid} outlived lab down --foreign");
        Assert.Empty(await LabLeftovers.OfAsync(owned, _runtimeRoot));
        Assert.Empty(await LabLeftovers.OfAsync(second, _runtimeRoot));
    }

    private string NewLabName()
    {
        var name = $"ow-{Guid.NewGuid().ToString("N")[..8]}";
        _labs.Add(name);
        return name;
    }

    private Task<BufferedCommandResult> CliAsync(params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = _runtimeRoot }, args);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Only the owned labs by name: the foreign one cleans itself up (its exact names, its own pid).
        await LabLeftovers.RemoveAsync(_runtimeRoot, _labs);
        Directory.Delete(_runtimeRoot, recursive: true);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Model;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The dashboard killed with SIGKILL and started again on the same runtime folder: the lab it left is taken over as
/// it runs, not rebuilt. The real app, a real seed-nat lab with its two QEMUs (they outlive the dashboard: QEMU
/// daemonizes). Needs root, QEMU and the built-in guest; runs in CI.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
[Trait("Needs", "QEMU")]
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CrashSeen = TimeSpan.FromSeconds(2);
    private readonly string _runtime = Directory.CreateTempSubdirectory("netdash-crash-").FullName;
    private readonly string _lab = $"crash-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task KilledDashboard_Restarted_AdoptsTheSameQemusAndConsoleCaptureNatAndApplyWorkAsBefore()
    {
        await using var first = await AppProcess.StartAsync(_runtime);
        using (var http = first.CreateClient())
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/labs", new { file = "seed-nat.yaml", name = _lab, wait = true })).StatusCode);
        var pids = await RunningQemusAsync(first);
        Assert.Equal(["vm1", "vm2"], pids.Keys.Order());
        await using (var open = await CaptureViewer.OpenAsync(first, _lab, "host", "br0"))
        {
            await open.WaitUntilRunningAsync(TimeSpan.FromSeconds(10));
            await first.KillAsync();
        }

        await using var second = await AppProcess.StartAsync(_runtime);
        using var api = second.CreateClient();
        output.WriteLine(second.Output);

        // The same QEMUs, taken over: no VM was started again.
        Assert.Equal(pids, await RunningQemusAsync(second));
        foreach (var (vm, pid) in pids)
            Assert.Contains($"Lab {_lab}: adopted {vm}, its QEMU (pid {pid}) still runs", second.Output);

        Assert.Contains("relay-42", await SerialConsoleAsync(second, "vm1", "echo relay-$((6*7))", "relay-42"));

        await using var capture = await CaptureViewer.OpenAsync(second, _lab, "host", "br0", "icmp");
        await capture.WaitUntilRunningAsync(TimeSpan.FromSeconds(10));
        var ping = await api.PostAsJsonAsync($"api/labs/{_lab}/vms/vm1/exec", new { command = "ping -c 1 -W 2 203.0.113.5", timeoutSeconds = 30 });
        using (var pinged = JsonDocument.Parse(await ping.Content.ReadAsStringAsync()))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
            Assert.True(pinged.RootElement.GetProperty("exitCode").GetInt32() == 0, pinged.RootElement.GetProperty("output").GetString());
        }
        await capture.WaitForRowsAsync(r => r.Info.StartsWith("IP 192.168.1.10 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal), 1, TimeSpan.FromSeconds(5));

        var journalBefore = (await api.GetFromJsonAsync<JsonElement>($"api/labs/{_lab}/journal")).GetProperty("total").GetInt32();
        var up = await DashboardCli.RunAsync(Settings, "lab", "up", TestLab.LabFile("seed-nat.yaml"), "--name", _lab);
        var journalAfter = (await api.GetFromJsonAsync<JsonElement>($"api/labs/{_lab}/journal")).GetProperty("total").GetInt32();
        var nat = (await InHostAsync("iptables", "-w", "-t", "nat", "-S", "POSTROUTING")).StandardOutput;
        Assert.True(up.ExitCode == 0, up.StandardError);
        Assert.Contains("already as the file wants; nothing to do", up.StandardOutput);
        Assert.Equal(journalBefore, journalAfter);
        Assert.Single(nat.Split('\n'), line => line.Contains("-j MASQUERADE", StringComparison.Ordinal));
        Assert.Equal(pids, await RunningQemusAsync(second));

        // Watched again: a QEMU that dies now is seen at once, not at the next look.
        using (var qemu = Process.GetProcessById(pids["vm2"]))
        {
            qemu.Kill();
            await qemu.WaitForExitAsync();
        }
        var killed = Stopwatch.StartNew();
        await Poll.UntilAsync(() => second.Output.Contains($"Lab {_lab}: vm2 crashed: its QEMU (pid {pids["vm2"]}) exited without being stopped", StringComparison.Ordinal),
            CrashSeen, "the crash of vm2 in the dashboard's log");
        output.WriteLine($"vm2's QEMU killed → crash logged by the restarted dashboard after {killed.ElapsedMilliseconds} ms");
        Assert.Equal("crashed", (await VmStatesAsync(second))["vm2"]);
    }

    [Fact]
    public async Task ChangesWhileTheDashboardWasDown_Restart_ReportsTheDeletedBridgeAsDriftAndTheDeadVmAsCrashed()
    {
        await using var first = await AppProcess.StartAsync(_runtime);
        using (var http = first.CreateClient())
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/labs", new { file = "seed-nat.yaml", name = _lab })).StatusCode);
        var pids = await RunningQemusAsync(first);
        await first.KillAsync();

        Assert.Equal(0, (await InHostAsync("ip", "link", "del", "br0")).ExitCode);
        using (var qemu = Process.GetProcessById(pids["vm2"]))
        {
            qemu.Kill();
            await qemu.WaitForExitAsync();
        }
        await using var second = await AppProcess.StartAsync(_runtime);
        await Poll.UntilAsync(() => second.Output.Contains($"Lab {_lab}: drift", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "a drift report in the log");
        output.WriteLine(second.Output);

        Assert.Contains("(host)$ brctl addbr br0", DriftLine(second.Output));
        Assert.Contains($"Lab {_lab}: adopted vm1, its QEMU (pid {pids["vm1"]}) still runs", second.Output);
        Assert.Contains($"Lab {_lab}: vm2 was not adopted: its QEMU (pid {pids["vm2"]}) no longer runs", second.Output);
        var states = await VmStatesAsync(second);
        Assert.Equal("crashed", states["vm2"]);
        Assert.NotEqual("crashed", states["vm1"]);
    }

    private Dictionary<string, string> Settings => DashboardCli.SettingsFor(_runtime);

    private Task<BufferedCommandResult> InHostAsync(params string[] argv) =>
        Cli.Wrap("ip").WithArguments(["netns", "exec", new LabNamespaces(_lab).Host, .. argv])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

    private string DriftLine(string log) => log.Split('\n').Single(l => l.Contains($"Lab {_lab}: drift", StringComparison.Ordinal));

    private async Task<Dictionary<string, int>> RunningQemusAsync(AppProcess app) =>
        (await VmsAsync(app)).Where(vm => vm.State is "running" or "starting").ToDictionary(vm => vm.Name, vm => vm.Pid!.Value);

    private async Task<Dictionary<string, string>> VmStatesAsync(AppProcess app) =>
        (await VmsAsync(app)).ToDictionary(vm => vm.Name, vm => vm.State);

    private async Task<List<(string Name, string State, int? Pid)>> VmsAsync(AppProcess app)
    {
        using var http = app.CreateClient();
        var topology = await http.GetFromJsonAsync<JsonElement>($"api/labs/{_lab}/topology");
        return topology.GetProperty("vms").EnumerateArray()
            .Select(vm => (vm.GetProperty("name").GetString()!, vm.GetProperty("state").GetString()!,
                vm.TryGetProperty("pid", out var pid) ? pid.GetInt32() : (int?)null))
            .ToList();
    }

    /// <summary>Types a line into the VM's serial console through the dashboard's relay; returns what came back until <paramref name="expected"/>.</summary>
    private async Task<string> SerialConsoleAsync(AppProcess app, string vm, string line, string expected)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {app.Token}");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new Uri($"ws://{app.BaseAddress.Authority}/labs/{_lab}/vms/{vm}/serial"), stop.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(line + "\r"), WebSocketMessageType.Binary, true, stop.Token);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, stop.Token);
            if (result.MessageType == WebSocketMessageType.Close) break;
            received.Append(Encoding.ASCII.GetString(buffer, 0, result.Count));
        }
        return received.ToString();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // The dashboards' own cleanup removed the lab; should a test have failed before its record was written, the exact
    // three names go too, never a pattern.
    public async Task DisposeAsync()
    {
        foreach (var ns in new LabNamespaces(_lab).All.Intersect(await TestLab.RootNamespacesAsync()))
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        Directory.Delete(_runtime, recursive: true);
    }
}

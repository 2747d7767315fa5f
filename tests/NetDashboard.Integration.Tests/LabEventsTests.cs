using System.Diagnostics;
using CliWrap.Buffered;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The lab's live events on a real lab with a real guest: what the CLI does in another process reaches a
/// subscriber of this one within a second, and the CLI's VM verbs get the same reconcile as the UI's.
/// Needs root, QEMU and the built-in guest; runs in CI.
/// </summary>
[Collection(TimedCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Needs", "QEMU")]
public sealed class LabEventsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string OneVmOnBridge = """
        name: placeholder
        host:
          bridges:
            - name: br0
              ports: [tap0]
        vms:
          - name: vm1
            mac: 52:54:98:76:54:30
            tap: tap0
            address: 192.168.1.10/24
        """;

    [Fact]
    public async Task Events_CliExecAndStopInAnotherProcess_ReachTheSubscriberWithinOneSecond()
    {
        await using var lab = new TestLab("ev");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: OneVmOnBridge, Name: lab.Name, Wait: true));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var updates = new List<(TimeSpan At, LabUpdate Update)>();
        var clock = Stopwatch.StartNew();
        var following = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in lab.Events.SubscribeAsync(lab.Name, stop.Token))
                    lock (updates) updates.Add((clock.Elapsed, update));
            }
            catch (OperationCanceledException)
            {
            }
        });
        await WaitForAsync(() => FirstAt(updates, _ => true), TimeSpan.FromSeconds(10));
        Assert.Contains(updates[0].Update.Vms!, vm => vm.Name == "vm1" && vm.State == VmState.Running);

        var exec = await CliAsync(lab, "vm", "exec", lab.Name, "vm1", "--", "echo", "from-the-cli");
        var execDone = clock.Elapsed;
        Assert.Equal(0, exec.ExitCode);
        var journaled = await WaitForAsync(() => FirstAt(updates, u => u.JournalAppended.Any(e => e.Tutorial.Contains("from-the-cli"))), TimeSpan.FromSeconds(5));
        output.WriteLine($"CLI vm exec → journal entry at the subscriber: {(journaled - execDone).TotalMilliseconds:0} ms after the CLI exited");
        Assert.True(journaled - execDone <= TimeSpan.FromSeconds(1), $"the journal entry arrived {(journaled - execDone).TotalMilliseconds:0} ms after the CLI exited");

        var vmStop = await CliAsync(lab, "vm", "stop", lab.Name, "vm1");
        var stopDone = clock.Elapsed;
        Assert.Equal(0, vmStop.ExitCode);
        var stopped = await WaitForAsync(() => FirstAt(updates, u => u.VmChanges.Any(v => v.Name == "vm1" && v.State == VmState.Stopped)), TimeSpan.FromSeconds(5));
        output.WriteLine($"CLI vm stop → VM state at the subscriber: {(stopped - stopDone).TotalMilliseconds:0} ms after the CLI exited");
        Assert.True(stopped - stopDone <= TimeSpan.FromSeconds(1), $"the stop arrived {(stopped - stopDone).TotalMilliseconds:0} ms after the CLI exited");

        await stop.CancelAsync();
        await following;
    }

    [Fact]
    public async Task CliVmStopThenStart_TapIsBackInItsBridge()
    {
        await using var lab = new TestLab("evre");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: OneVmOnBridge, Name: lab.Name));
        Assert.True(created.Result.Succeeded, created.Result.Message);

        Assert.Equal(0, (await CliAsync(lab, "vm", "stop", lab.Name, "vm1")).ExitCode);
        Assert.Null((await lab.Reader.ReadAsync(lab.Name)).Find(NamespaceRole.Host)!.Link("tap0"));
        var start = await CliAsync(lab, "vm", "start", lab.Name, "vm1");

        Assert.True(start.ExitCode == 0, start.StandardError);
        var tap = (await lab.Reader.ReadAsync(lab.Name)).Find(NamespaceRole.Host)!.Link("tap0");
        Assert.NotNull(tap);
        Assert.Equal("br0", tap.Master);
        // The guest was configured again too, as the UI's start does.
        var address = await lab.Service.ExecAsync(lab.Name, "vm1", "ip addr show dev eth0");
        Assert.Contains("192.168.1.10/24", address.Guest!.Output);
    }

    [Fact]
    public async Task LessonLab_CreateVmWithAddressAndGateway_GuestGetsThemAndForwardingStaysAsTheLearnerLeftIt()
    {
        await using var lab = new TestLab("evls");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(File: "seed-tap.yaml", Name: lab.Name, AsLesson: true));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        // The learner turns forwarding on although the tap lesson never asks for it.
        Assert.True((await lab.Service.RunAsync(lab.Name, new OperationRequest { Kind = "setForwarding", Enabled = true })).Succeeded);

        var vm = await lab.Service.CreateVmAsync(lab.Name, new NewVmRequest { Name = "vm2", Tap = "tap5", Address = "192.168.1.20/24", Gateway = "192.168.1.1" });
        var guest = await lab.Service.ExecAsync(lab.Name, "vm2", "ip addr show dev eth0; ip route show");
        var host = (await lab.Reader.ReadAsync(lab.Name)).Host;
        var drift = lab.Service.DriftOf(lab.Name, lab.Service.DefinitionOf(lab.Name), await lab.Reader.ReadAsync(lab.Name));

        Assert.True(vm.Succeeded, vm.Message);
        Assert.Contains("inet 192.168.1.20/24", guest.Guest!.Output);
        Assert.Contains("default via 192.168.1.1", guest.Guest.Output);
        Assert.True(host.Forwarding, "creating a VM in a lesson lab must not turn forwarding off");
        Assert.DoesNotContain(drift, line => line.Contains("echo 0", StringComparison.Ordinal));
        Assert.Contains(drift, line => line.Contains("ifconfig tap1 192.168.1.1/24", StringComparison.Ordinal));
    }

    private static Task<BufferedCommandResult> CliAsync(TestLab lab, params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string>
        {
            ["NetDashboard__RuntimeRoot"] = lab.RuntimeRoot,
            ["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder,
        }, args);

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout) where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value) return value;
            await Task.Delay(20);
        }
        throw new TimeoutException($"nothing arrived within {timeout.TotalSeconds:0} s");
    }

    // When the first update that matches arrived, or null while none has.
    private static TimeSpan? FirstAt(List<(TimeSpan At, LabUpdate Update)> updates, Func<LabUpdate, bool> match)
    {
        lock (updates)
            return updates.Where(u => match(u.Update)).Select(u => (TimeSpan?)u.At).FirstOrDefault();
    }
}

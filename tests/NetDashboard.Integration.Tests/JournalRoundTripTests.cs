using NetDashboard.Lab.Runtime;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The journal is the lab's history: a lab built by a person's actions (through the one lab service the page, the API
/// and the CLI use), exported as a script, torn down and rebuilt by that script under another name, holds the same
/// kernel state and the same guests. Needs root and QEMU (TCG); runs in CI.
/// </summary>
public sealed class JournalRoundTripTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Script_LabBuiltByActions_RebuildsTheSameKernelAndGuestsUnderANewName()
    {
        await using var original = new TestLab("rt");
        // The rebuilt lab's name and runtime folder; disposing it removes what the script made.
        await using var rebuilt = new TestLab("rb", original.RuntimeRoot);
        var service = original.Service;
        var lab = original.Name;

        Ok((await service.CreateLabAsync(new CreateLabRequest(File: "seed-nat.yaml", Name: lab, Wait: true))).Result);
        Ok(await service.VmAsync(lab, "vm2", VmVerb.Stop));
        Ok(await service.VmAsync(lab, "vm2", VmVerb.Start));
        Ok(await service.CreateVmAsync(lab, new NewVmRequest { Name = "vm3" }));
        Ok(await service.RunAsync(lab, new OperationRequest { Kind = "createBridge", Namespace = "host", Bridge = "br1" }));
        Ok(await service.RunAsync(lab, new OperationRequest { Kind = "addAddress", Namespace = "host", Link = "br1", Address = "10.9.0.1/24" }));
        Ok(await service.RunAsync(lab, new OperationRequest { Kind = "setForwarding", Namespace = "host", Enabled = false }));
        Ok(await service.RunAsync(lab, new OperationRequest { Kind = "setForwarding", Namespace = "host", Enabled = true }));
        Ok(await service.ConfigureGuestAsync(lab, "vm2", "192.168.1.21/24", "192.168.1.1"));
        Ok((await service.ExecAsync(lab, "vm1", "ip addr add 10.77.0.1/24 dev eth0")).Result);

        var before = await StateAsync(original.Reader, original.Store, lab, ["vm1", "vm2", "vm3"]);
        var script = service.JournalScriptOf(lab)!;
        var path = Path.Combine(original.RuntimeRoot, "rebuild.sh");
        await File.WriteAllTextAsync(path, script);
        Ok((await service.TearDownAsync(lab)).Result);

        var run = await Cli.Wrap("bash").WithArguments([path, rebuilt.Name])
            .WithEnvironmentVariables(env => env.Set("NetDashboard__RuntimeRoot", original.RuntimeRoot))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        output.WriteLine($"script: exit {run.ExitCode}, {run.RunTime.TotalSeconds:0.0} s\n{run.StandardError}");
        Assert.True(run.ExitCode == 0, $"the script failed: {run.StandardError}\n{run.StandardOutput}");
        var after = await StateAsync(original.Reader, original.Store, rebuilt.Name, ["vm1", "vm2", "vm3"]);

        output.WriteLine(before);
        Assert.Equal(before, after);
        Assert.Contains("vm3 running", after);
        Assert.Contains("tap2 tun master=br0 up", after);
        Assert.Contains("inet 192.168.1.21/24", after);
    }

    private static void Ok(ActionResult result) => Assert.True(result.Succeeded, $"{result.Message}\n{result.Output}");

    // What a person compares: each namespace's links (kind, bridge, state, addresses), routes, NAT rules and
    // forwarding, each VM running or not, and each guest's addresses and routes. Names of the lab itself (namespaces,
    // rule tags) and what the kernel picks by itself (indexes, a tap's random MAC) are left out.
    private static async Task<string> StateAsync(TopologyReader reader, LabRuntimeStore store, string lab, string[] vms)
    {
        var topology = await reader.ReadAsync(lab);
        var lines = new List<string>();
        foreach (var ns in topology.Namespaces)
        {
            lines.Add($"[{ns.Role}] exists={ns.Exists} forwarding={ns.Forwarding}");
            lines.AddRange(ns.Links.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l =>
                $"  {l.Name} {l.Kind} master={l.Master ?? "-"} {(l.AdminUp ? "up" : "down")} {string.Join(',', l.Addresses.Select(a => a.ToString()).Order())}"));
            lines.AddRange(ns.Routes.Select(r => $"  route {r.Destination} via {r.Gateway ?? "-"} dev {r.Device ?? "-"}").Order(StringComparer.Ordinal));
            lines.AddRange(ns.NatRules.Select(r => $"  nat {r.Spec.Replace(RuleTags.Of(lab), "TAG", StringComparison.Ordinal)}"));
        }
        foreach (var vm in vms)
        {
            var paths = store.PathsOf(lab, vm);
            var pid = File.Exists(paths.PidFile) && int.TryParse(File.ReadAllText(paths.PidFile).Trim(), out var p) ? p : 0;
            var running = pid > 0 && ProcessTable.IsRunningAs(pid, "qemu-system-x86_64", paths.PidFile);
            lines.Add($"{vm} {(running ? "running" : "not running")}");
            if (!running) continue;
            var guest = GuestState.Parse((await GuestAgentClient.RunAsync(paths.Agent, GuestState.Command, TimeSpan.FromSeconds(30), CancellationToken.None)).Output,
                DateTimeOffset.UtcNow);
            lines.AddRange(guest.Addresses.Select(a => $"  inet {a}").Order(StringComparer.Ordinal));
            lines.AddRange(guest.Routes.Select(r => $"  route {r}").Order(StringComparer.Ordinal));
        }
        return string.Join('\n', lines);
    }
}

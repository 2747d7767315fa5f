using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// What a trace leaves and what it tells apart, on nat-pc (no VMs: quick) with a FORWARD DROP rule made in a shell:
/// its pcapng read by tshark carries the verdict; nothing of its tracing (the netfilter table, the tracefs instance)
/// outlives it, nor a dashboard killed in the middle of one; two labs traced at once each quote their own drop only.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class TraceKernelStateTests
{
    private const string Server = "203.0.113.5";
    private const string Instances = "/sys/kernel/tracing/instances";

    private static async Task ForwardDropAsync(TestLab lab) => await HostShell.RunAsync(lab, "iptables", "-w", "-I", "FORWARD", "-j", "DROP");

    private static async Task<bool> HasTraceTableAsync(string ns) =>
        (await Cli.Wrap("ip").WithArguments(["netns", "exec", ns, "nft", "list", "tables"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync())
            .StandardOutput.Contains($"table ip {StartPacketTrace.Table}", StringComparison.Ordinal);

    private static IReadOnlyList<string> InstancesOf(int pid) =>
        Directory.Exists(Instances) ? [.. Directory.EnumerateDirectories(Instances, $"{KernelDropWatch.Prefix}{pid}-*").Select(Path.GetFileName).OfType<string>()] : [];

    [Fact]
    public async Task Trace_ForwardDropOnNatPc_PcapNgThroughTsharkCarriesTheVerdictAndNothingOfTheTracingIsLeft()
    {
        await using var lab = new TestLab("tk");
        await lab.UpAsync("nat-pc.yaml");
        await ForwardDropAsync(lab);

        var before = InstancesOf(Environment.ProcessId);
        var report = (await lab.Service.TraceAsync(lab.Name, "pc", Server, "icmp")).Report!;
        // Other tests of this process trace at the same time, each with an instance of its own, numbered in order. Ours,
        // were it left, is among those made since `before` that exist now; any of them still there once it had time to
        // end is a leak, and traces started later are numbered above them all.
        var bound = InstancesOf(Environment.ProcessId).Except(before).Select(NumberOf).DefaultIfEmpty(0).Max();
        var file = Path.Combine(lab.RuntimeRoot, "trace.pcapng");
        await using (var output = File.Create(file))
            lab.Service.LastTracePcapNg(lab.Name)!.Value.Write(output);
        var tshark = await Cli.Wrap("tshark").WithArguments(["-r", file, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.comment"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

        Assert.Equal("firewall-drop", report.Verdict?.Reason);
        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        // The verdict sits on the packet where the probe was last seen: br0, where FORWARD dropped it.
        var commented = tshark.StandardOutput.Split('\n').Where(l => l.Contains("trace: the probe was last seen here.", StringComparison.Ordinal)).ToList();
        Assert.True(commented.Count == 1, tshark.StandardOutput);
        Assert.StartsWith("host/br0\t", commented[0]);
        Assert.Contains("firewall-drop: The packet stopped after host/br0. A rule in the host's filter table, chain FORWARD, dropped the probe: -A FORWARD -j DROP.", commented[0]);
        Assert.Contains("Kernel: netfilter at host/br0: filter:FORWARD:DROP -A FORWARD -j DROP", commented[0]);
        foreach (var ns in lab.Namespaces.All)
            Assert.False(await HasTraceTableAsync(ns), $"{ns} keeps the trace's table");
        await Poll.UntilAsync(() => !InstancesOf(Environment.ProcessId).Except(before).Any(i => NumberOf(i) <= bound), TimeSpan.FromSeconds(30),
            "no tracefs instance of this trace (nor of those running beside it) left");
    }

    private static int NumberOf(string instance) => int.Parse(instance[(instance.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Trace_TwoLabsAtOnceEachDroppingInForward_EachVerdictQuotesExactlyOneDropItsOwn()
    {
        await using var first = new TestLab("ta");
        await using var second = new TestLab("tb");
        await Task.WhenAll(first.UpAsync("nat-pc.yaml"), second.UpAsync("nat-pc.yaml"));
        await ForwardDropAsync(first);
        await ForwardDropAsync(second);

        var traces = await Task.WhenAll(first.Service.TraceAsync(first.Name, "pc", Server, "icmp"), second.Service.TraceAsync(second.Name, "pc", Server, "icmp"));

        foreach (var outcome in traces)
        {
            var verdict = outcome.Report?.Verdict ?? throw new Xunit.Sdk.XunitException(outcome.Result.Message);
            Assert.Equal("firewall-drop", verdict.Reason);
            var drops = verdict.Evidence!.Where(e => e.Source == TraceEvidence.DropReason).ToList();
            // One probe, one drop: the other lab's drop at the same moment, on interfaces of the same names, is not ours.
            Assert.True(drops.Count == 1, TraceText.Of(outcome.Report!));
            Assert.StartsWith("NETFILTER_DROP in nft_do_chain", drops[0].Text);
            Assert.DoesNotContain("uncertain", drops[0].Text);
            Assert.Single(verdict.Evidence!, e => e.Source == TraceEvidence.Netfilter);
        }
    }

    [Fact]
    public async Task DashboardKilledMidTrace_TheNextStartRemovesItsNetfilterTableAndTracefsInstance()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-tracekill-").FullName;
        var lab = $"tkill-{Guid.NewGuid().ToString("N")[..6]}";
        var names = new LabNamespaces(lab);
        // Not disposed before the end: disposing a dashboard removes its labs, and this lab must outlive the kill.
        var first = await AppProcess.StartAsync(runtime);
        try
        {
            using (var api = first.CreateClient())
            {
                Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("api/labs", new { file = "nat-pc.yaml", name = lab })).StatusCode);
                // A DROP makes the probe wait out ping's second: the trace is surely still out when the dashboard dies.
                Assert.Equal(0, (await Cli.Wrap("ip").WithArguments(["netns", "exec", names.Host, "iptables", "-w", "-I", "FORWARD", "-j", "DROP"]).ExecuteAsync()).ExitCode);
                var tracing = api.PostAsJsonAsync($"api/labs/{lab}/trace", new { from = "pc", to = Server });
                await Poll.UntilAsync(() => HasTraceTableAsync(names.Host).Result && InstancesOf(first.Pid).Count > 0, TimeSpan.FromSeconds(10),
                    "the trace's table and tracefs instance");
                await first.KillAsync();
                await Assert.ThrowsAnyAsync<Exception>(() => tracing);
            }
            Assert.True(await HasTraceTableAsync(names.Host), "the kill left the table: the test shows nothing otherwise");
            Assert.NotEmpty(InstancesOf(first.Pid));

            await using var second = await AppProcess.StartAsync(runtime);
            await Poll.UntilAsync(() => !HasTraceTableAsync(names.Host).Result && !HasTraceTableAsync(names.Wan).Result && !HasTraceTableAsync(names.Pc).Result,
                TimeSpan.FromSeconds(15), "the trace's tables removed");
            await Poll.UntilAsync(() => InstancesOf(first.Pid).Count == 0, TimeSpan.FromSeconds(5), "the killed dashboard's tracefs instance removed");
            using var again = second.CreateClient();
            var journal = await again.GetStringAsync($"api/labs/{lab}/journal");
            Assert.Contains("nft delete table ip netdash_trace", journal);
            Assert.Equal(HttpStatusCode.OK, (await again.DeleteAsync($"api/labs/{lab}")).StatusCode);
        }
        finally
        {
            await first.DisposeAsync();
            foreach (var ns in names.All.Intersect(await TestLab.RootNamespacesAsync()))
                await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            Directory.Delete(runtime, recursive: true);
        }
    }

    // The lab of a killed trace may be gone by the next start, or no lab left at all: its tracefs instance still goes.
    [Fact]
    public async Task TracefsInstanceOfADeadProcess_RemovedWhenTheDashboardStartsWithoutAnyLab()
    {
        var ended = Process.Start("true")!;
        await ended.WaitForExitAsync();
        var instance = Path.Combine("/sys/kernel/tracing/instances", $"netdash-trace-{ended.Id}-1");
        var runtime = Directory.CreateTempSubdirectory("netdash-traceleft-").FullName;
        try
        {
            Directory.CreateDirectory(instance);
            Assert.False(NetDashboard.Lab.Host.ProcessTable.IsRunning(ended.Id));

            await using var app = await AppProcess.StartAsync(runtime);
            await Poll.UntilAsync(() => !Directory.Exists(instance), TimeSpan.FromSeconds(10), "the dead process's tracefs instance removed");
        }
        finally
        {
            if (Directory.Exists(instance)) Directory.Delete(instance);
            Directory.Delete(runtime, recursive: true);
        }
    }
}

using CliWrap;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Trace;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Traces on nat-pc, which has no VMs (quick): the external PC's probe through br0, forwarding and MASQUERADE; input
/// the trace refuses before it runs anything; the CLI's trace as a person runs it.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class TraceTests
{
    private const string InternetServer = "203.0.113.5";

    [Fact]
    public async Task Trace_NatPcFromPc_EveryHopSeenSourceRewrittenOnEns160AndTheReplyLinkedBackToPc()
    {
        await using var lab = new TestLab("tp");
        await lab.UpAsync("nat-pc.yaml");
        var journalBefore = lab.Service.JournalOf(lab.Name)!.Count;

        var outcome = await lab.Service.TraceAsync(lab.Name, "pc", InternetServer, "icmp");
        var report = outcome.Report ?? throw new Xunit.Sdk.XunitException($"no report: {outcome.Result.Message}");

        Assert.True(report.Replied, TraceText.Of(report));
        TraceHops.AllSeen(report.Request, "pc/eth0", "host/ens192", "host/br0", "host/ens160", "wan/eth0");
        TraceHops.AllSeen(report.Reply, "wan/eth0", "host/ens160", "host/br0", "host/ens192", "pc/eth0");
        Assert.Contains(new TraceChange(InterfaceRef.Parse("host/ens160"), HeaderField.Source, "192.168.1.3", "10.180.13.232"), TraceHops.At(report.Request, "host/ens160").Changes);
        Assert.Contains(new TraceChange(InterfaceRef.Parse("host/br0"), HeaderField.Destination, "10.180.13.232", "192.168.1.3"), TraceHops.At(report.Reply, "host/br0").Changes);
        Assert.Empty(TraceHops.At(report.Reply, "host/ens192").Changes);
        Assert.Null(report.Verdict);
        // The probe is a command the lab ran: it is in the journal as a person would type it, and so is netfilter's
        // tracing of it in each namespace (the pc's, the host's, the wan's), set up before and removed after.
        var lines = lab.Service.JournalOf(lab.Name)!.Skip(journalBefore).Select(e => e.TutorialLine).ToList();
        Assert.Contains("(pc)$ ping -c 1 -W 1 203.0.113.5", lines);
        Assert.Equal(["(host)$", "(pc)$", "(wan)$"], lines.Where(l => l.Contains("nft add table ip netdash_trace", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order());
        Assert.Equal(["(host)$", "(pc)$", "(wan)$"], lines.Where(l => l.EndsWith("nft delete table ip netdash_trace", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order());
        Assert.Equal(7, lines.Count);
    }

    [Theory]
    [InlineData("to", "pc", "203.0.113.5/24", "icmp")]
    [InlineData("to", "pc", "::1", "icmp")]
    [InlineData("to", "pc", "203.0.113.256", "icmp")]
    [InlineData("to", "pc", null, "icmp")]
    [InlineData("protocol", "pc", InternetServer, "tcp:0")]
    [InlineData("protocol", "pc", InternetServer, "tcp:65536")]
    [InlineData("protocol", "pc", InternetServer, "udp:54")]
    [InlineData("protocol", "pc", InternetServer, "icmp6")]
    [InlineData("from", "Bad VM", InternetServer, "icmp")]
    public async Task Trace_BadField_RefusedNamingTheFieldAndNothingRan(string field, string? from, string? to, string? protocol)
    {
        await using var lab = new TestLab("tr");
        await lab.UpAsync("nat-pc.yaml");
        var before = await LabFootprint.TakeAsync(lab.Name, lab.RuntimeRoot);

        var outcome = await lab.Service.TraceAsync(lab.Name, from, to, protocol);
        var after = await LabFootprint.TakeAsync(lab.Name, lab.RuntimeRoot);

        Assert.Equal(ActionOutcome.Refused, outcome.Result.Outcome);
        Assert.Equal([field], outcome.Result.Problems.Select(p => p.Field));
        Assert.Null(outcome.Report);
        Assert.Empty(before.ChangesTo(after, $"{from} {to} {protocol}", lab.Name));
        Assert.Equal(0, lab.Captures.HandlesOpened);
    }

    [Fact]
    public async Task Trace_UnknownVm_NotFoundNamingTheLabsVmsAndNothingRan()
    {
        await using var lab = new TestLab("tu");
        await lab.UpAsync("nat-pc.yaml");
        var before = await LabFootprint.TakeAsync(lab.Name, lab.RuntimeRoot);

        var outcome = await lab.Service.TraceAsync(lab.Name, "vm9", InternetServer, "icmp");
        var after = await LabFootprint.TakeAsync(lab.Name, lab.RuntimeRoot);

        Assert.Equal(ActionOutcome.NotFound, outcome.Result.Outcome);
        Assert.Equal($"lab {lab.Name} has no VM named 'vm9' (it has: none)", outcome.Result.Message);
        Assert.Null(outcome.Report);
        Assert.Empty(before.ChangesTo(after, "vm9", lab.Name));
        Assert.Equal(0, lab.Captures.HandlesOpened);
    }

    [Fact]
    public async Task TraceCli_PcToInternetServer_ExitsZeroSayingReplyReceived()
    {
        await using var lab = new TestLab("tc");
        await lab.UpAsync("nat-pc.yaml");

        var trace = await CliAsync(lab, "trace", lab.Name, "pc", InternetServer);

        Assert.True(trace.ExitCode == 0, trace.StandardOutput + trace.StandardError);
        Assert.StartsWith($"trace pc → {InternetServer} (icmp): reply received, ", trace.StandardOutput);
        Assert.Contains("source 192.168.1.3 → 10.180.13.232", trace.StandardOutput);
    }

    [Fact]
    public async Task TraceCli_ForwardingTurnedOffInAShell_ExitsOneWithTheVerdictAndTheForwardingFix()
    {
        await using var lab = new TestLab("tf");
        await lab.UpAsync("nat-pc.yaml");
        await HostShell.RunAsync(lab, "sysctl", "-qw", "net.ipv4.ip_forward=0");

        var trace = await CliAsync(lab, "trace", lab.Name, "pc", InternetServer);

        Assert.True(trace.ExitCode == 1, trace.StandardOutput + trace.StandardError);
        Assert.Contains("why: The packet stopped after host/br0. IP forwarding is off in the host", trace.StandardOutput);
        Assert.Contains("fix: (host)$ echo 1 > /proc/sys/net/ipv4/ip_forward\n", trace.StandardOutput);
    }

    // A process started with SIGINT ignored (a background job of a script, nohup, some CI runners) passes that on to
    // what it starts: xtables-monitor then ignored the trace's SIGINT and the trace waited for it for ever.
    [Fact]
    public async Task TraceCli_StartedWithSigintIgnored_StillEndsWithTheVerdict()
    {
        await using var lab = new TestLab("ti");
        await lab.UpAsync("nat-pc.yaml");
        await HostShell.RunAsync(lab, "sysctl", "-qw", "net.ipv4.ip_forward=0");

        var trace = await DashboardCli.RunUnderAsync(["bash", "-c", "trap '' INT; exec \"$@\"", "sigint-ignored"],
            new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = lab.RuntimeRoot }, "trace", lab.Name, "pc", InternetServer).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(trace.ExitCode == 1, trace.StandardOutput + trace.StandardError);
        Assert.Contains("why: The packet stopped after host/br0. IP forwarding is off in the host", trace.StandardOutput);
    }

    [Fact]
    public async Task TraceCli_Json_ParsesAsTheReportWithEveryHopAndTheReply()
    {
        await using var lab = new TestLab("tj");
        await lab.UpAsync("nat-pc.yaml");

        var trace = await CliAsync(lab, "trace", lab.Name, "pc", InternetServer, "--json");
        using var json = JsonDocument.Parse(trace.StandardOutput);
        var report = json.RootElement;

        Assert.Equal(0, trace.ExitCode);
        Assert.True(report.GetProperty("replied").GetBoolean());
        Assert.Equal(["pc/eth0", "host/ens192", "host/br0", "host/ens160", "wan/eth0"],
            report.GetProperty("request").EnumerateArray().Select(h => h.GetProperty("station").GetString()));
        Assert.All(report.GetProperty("request").EnumerateArray(), h => Assert.True(h.GetProperty("seen").GetBoolean()));
        Assert.Contains(report.GetProperty("rewrites").EnumerateArray(), c =>
            c.GetProperty("field").GetString() == "source" && c.GetProperty("after").GetString() == "10.180.13.232");
    }

    private static Task<CliWrap.Buffered.BufferedCommandResult> CliAsync(TestLab lab, params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = lab.RuntimeRoot }, args);
}

/// <summary>
/// Traces from vm1 of seed-nat (two built-in guests, one boot for the class): the journey tap0 → br0 → ens160 → wan
/// and back; then each fault the tutorial runs into, made with plain commands as a person would, its verdict, the
/// fix applied as the dashboard's button applies it, and the reply back.
/// </summary>
[Collection(VmCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed partial class SeedNatTraceTests(SeedNatTraceLab seedNat) : IClassFixture<SeedNatTraceLab>
{
    private TestLab Lab => seedNat.Lab;

    [Fact]
    public async Task Trace_Vm1ToInternetServer_HopsTapBridgeUplinkWanWithSourceAndTtlRewrittenOnEns160AndTheReplyLinked()
    {
        var clock = Stopwatch.StartNew();
        var report = await seedNat.TraceAsync();
        clock.Stop();

        Assert.True(report.Replied, TraceText.Of(report));
        TraceHops.AllSeen(report.Request, "host/tap0", "host/br0", "host/ens160", "wan/eth0");
        TraceHops.AllSeen(report.Reply, "wan/eth0", "host/ens160", "host/br0", "host/tap0");
        var uplink = TraceHops.At(report.Request, "host/ens160").Changes;
        Assert.Contains(new TraceChange(InterfaceRef.Parse("host/ens160"), HeaderField.Source, "192.168.1.10", "10.180.13.232"), uplink);
        Assert.Contains(new TraceChange(InterfaceRef.Parse("host/ens160"), HeaderField.Ttl, "64", "63"), uplink);
        Assert.Contains(new TraceChange(InterfaceRef.Parse("host/br0"), HeaderField.Destination, "10.180.13.232", "192.168.1.10"), TraceHops.At(report.Reply, "host/br0").Changes);
        Assert.Equal("(vm1)$ ping -c 1 -W 1 203.0.113.5", report.Probe);
        Assert.True(clock.Elapsed < SeedNatTraceLab.ArrivedBound, $"the trace took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Trace_Vm1FrozenSoItsAgentCannotAnswer_NotSentSaysWhyAndNoVerdictIsGuessed()
    {
        // SIGSTOP freezes vm1's QEMU: the process lives (the VM counts as running) but its agent answers nothing, so
        // the probe is never sent. That is not a packet lost on the way, and no station's silence may be blamed.
        var pid = seedNat.Lab.Vms.StatusOf(seedNat.Lab.Name, seedNat.Lab.Vm("vm1")).Pid ?? throw new Xunit.Sdk.XunitException("vm1 has no pid");
        TraceOutcome outcome;
        await Cli.Wrap("kill").WithArguments(["-STOP", $"{pid}"]).ExecuteAsync();
        try
        {
            outcome = await seedNat.Lab.Service.TraceAsync(seedNat.Lab.Name, "vm1", "203.0.113.5", "icmp");
        }
        finally
        {
            await Cli.Wrap("kill").WithArguments(["-CONT", $"{pid}"]).ExecuteAsync();
        }

        var report = outcome.Report ?? throw new Xunit.Sdk.XunitException($"no report: {outcome.Result.Message}");
        Assert.True(report.NotSent, TraceText.Of(report));
        Assert.Null(report.Verdict);
        Assert.False(outcome.Result.Succeeded);
        Assert.StartsWith("vm1's probe was not sent: ", report.Outcome);
        Assert.Contains("did not finish within 8 s", report.Outcome);
        Assert.Contains("not sent", TraceText.Of(report));
        Assert.All(report.Request, hop => Assert.False(hop.Seen));
        // Thawed, the lab works as before for the tests after this one.
        Assert.True((await seedNat.TraceAsync()).Replied);
    }

    [Fact]
    public Task Trace_ForwardingTurnedOff_StoppedAfterBr0ForwardingOffAndTheFixBringsTheReplyBack() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "sysctl", "-qw", "net.ipv4.ip_forward=0"),
            undo: () => HostShell.RunAsync(Lab, "sysctl", "-qw", "net.ipv4.ip_forward=1"),
            reason: "forwarding-off", stoppedAfter: "host/br0", fix: "(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward",
            evidence: "net.ipv4.ip_forward = 0");

    [Fact]
    public async Task Trace_MasqueradeRuleRemoved_ArrivedWithoutReplyNoMasqueradeAndTheFixBringsTheReplyBack()
    {
        var rule = await seedNat.MasqueradeRuleAsync();
        // Without MASQUERADE the request leaves with 192.168.1.10 and reaches the wan; the reply has no way back.
        await seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, ["iptables", "-w", "-t", "nat", "-D", .. rule]),
            undo: async () =>
            {
                if ((await Lab.ExecAsync(NamespaceRole.Host, ["iptables", "-w", "-t", "nat", "-C", .. rule])).ExitCode != 0)
                    await HostShell.RunAsync(Lab, ["iptables", "-w", "-t", "nat", "-A", .. rule]);
            },
            reason: "no-masquerade", stoppedAfter: "wan/eth0",
            fix: "(host)$ iptables -t nat -A POSTROUTING -s 192.168.1.0/24 ! -d 192.168.1.0/24 -j MASQUERADE",
            evidence: "iptables -t nat -S POSTROUTING → no MASQUERADE rule for 192.168.1.10 out of ens160");
    }

    [Fact]
    public Task Trace_Br0Down_StoppedAfterTap0BridgeDownAndTheFixBringsTheReplyBack() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "link", "set", "br0", "down"),
            undo: () => HostShell.RunAsync(Lab, "ip", "link", "set", "br0", "up"),
            reason: "bridge-down", stoppedAfter: "host/tap0", fix: "(host)$ ifconfig br0 up", evidence: "br0 state DOWN");

    // Out of br0, tap0 is a plain interface of the host: the host answers vm1's ARP for 192.168.1.1 on it (br0's
    // address) and routes the request out, so it reaches the wan; the reply goes to br0 and never reaches tap0.
    // vm1 must ask, as a guest whose tap was never in br0 does: the gateway MAC it has cached is br0's, which is
    // tap0's or tap1's (a bridge takes its lowest port MAC, random per boot), and tap0 alone drops a frame for tap1's.
    [Fact]
    public Task Trace_Tap0NotInBr0_RequestArrivesNotAPortAndTheFixBringsTheReplyBack() =>
        seedNat.FaultFixedAsync(
            make: async () =>
            {
                await HostShell.RunAsync(Lab, "ip", "link", "set", "tap0", "nomaster");
                await seedNat.GuestAsync("ip neigh flush dev eth0");
            },
            undo: () => HostShell.RunAsync(Lab, "ip", "link", "set", "tap0", "master", "br0"),
            reason: "not-a-port", stoppedAfter: "wan/eth0", fix: "(host)$ brctl addif br0 tap0", evidence: "tap0 master none, not br0");

    [Fact]
    public Task Trace_Vm1DefaultRouteRemoved_NeverSentNoDefaultRouteAndTheGuestFixBringsTheReplyBack() =>
        seedNat.FaultFixedAsync(
            make: () => seedNat.GuestAsync("route del default"),
            undo: () => seedNat.GuestAsync("ip route replace default via 192.168.1.1"),
            reason: "no-default-route", stoppedAfter: null, fix: "(vm1)$ route add -net 0.0.0.0/0 gw 192.168.1.1",
            evidence: "(vm1)$ ip route → no default route");
}

/// <summary>seed-nat, booted once for <see cref="SeedNatTraceTests"/> (a boot is ~10 s under TCG); each test leaves it working.</summary>
public sealed class SeedNatTraceLab : IAsyncLifetime
{
    private static readonly TimeSpan GuestCommandTimeout = TimeSpan.FromSeconds(20);

    // The goals are 2 s for a packet that arrives and 3 s for one that is lost (bench/trace.sh measures them).
    // On the 2-core machine at load average 13–15 (these tests beside a soak benchmark booting VMs) the slowest of 15
    // traces took 1.9 s arrived and 3.0 s lost (ping waits 1 s): the goals themselves would fail under load. The bounds
    // are the goals plus 1 s; a trace that waits out one of its timeouts (the 2 s probe limit, a capture's 1 s drain)
    // still fails them.
    public static readonly TimeSpan ArrivedBound = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan LostBound = TimeSpan.FromSeconds(4);

    public TestLab Lab { get; } = new("tv");

    // xUnit disposes a class fixture also when its start failed: the lab is removed either way.
    public async Task InitializeAsync() => await Lab.UpAsync("seed-nat.yaml", wait: true);

    public async Task DisposeAsync() => await Lab.DisposeAsync();

    /// <summary>A trace from vm1 to the internet server, as the dashboard runs it.</summary>
    public async Task<TraceReport> TraceAsync(string protocol = "icmp")
    {
        var outcome = await Lab.Service.TraceAsync(Lab.Name, "vm1", "203.0.113.5", protocol);
        return outcome.Report ?? throw new Xunit.Sdk.XunitException($"the trace did not run: {outcome.Result.Message}");
    }

    /// <summary>
    /// The lab works; <paramref name="make"/> breaks it; the trace names <paramref name="reason"/>, where the packet
    /// was last seen, the kernel's <paramref name="evidence"/> (a part of one of its quotes) and the fix; the fix runs as
    /// the dashboard's button runs it; the next trace gets the reply. <paramref name="undo"/> puts the lab back
    /// whatever happened, so a failure does not spill into the next test.
    /// </summary>
    public async Task FaultFixedAsync(Func<Task> make, Func<Task> undo, string reason, string? stoppedAfter, string? fix, string evidence,
        string protocol = "icmp")
    {
        var healthy = await TraceAsync(protocol);
        Assert.True(healthy.Replied, $"before the fault:\n{TraceText.Of(healthy)}");
        try
        {
            await make();
            var clock = Stopwatch.StartNew();
            var broken = await TraceAsync(protocol);
            clock.Stop();
            var verdict = broken.Verdict ?? throw new Xunit.Sdk.XunitException($"no verdict:\n{TraceText.Of(broken)}");
            Assert.False(broken.Replied, TraceText.Of(broken));
            Assert.True(reason == verdict.Reason, $"reason {verdict.Reason}, not {reason}:\n{TraceText.Of(broken)}");
            Assert.True(stoppedAfter == verdict.StoppedAfter?.ToString(), $"stopped after {verdict.StoppedAfter}, not {stoppedAfter}:\n{TraceText.Of(broken)}");
            Assert.True(verdict.Evidence?.Any(e => e.Text.Contains(evidence, StringComparison.Ordinal)) == true,
                $"no evidence quotes '{evidence}':\n{TraceText.Of(broken)}");
            // Arrived only where the target is: a probe stopped short of wan/eth0 did not arrive, whatever the plan's last station.
            Assert.Equal(broken.Request.Any(h => h.Station.ToString() == "wan/eth0" && h.Seen) && reason != "no-such-address", broken.Arrived);
            Assert.True(fix == verdict.Fix?.Tutorial, $"fix {verdict.Fix?.Tutorial}, not {fix}:\n{TraceText.Of(broken)}");
            Assert.True(clock.Elapsed < LostBound, $"the trace of a lost packet took {clock.ElapsedMilliseconds} ms");
            if (verdict.Fix is null) return;

            var applied = await Lab.Service.ApplyFixAsync(Lab.Name, verdict.Fix);
            var repaired = await TraceAsync(protocol);

            Assert.True(applied.Succeeded, applied.Message);
            Assert.True(repaired.Replied, $"after {fix}:\n{TraceText.Of(repaired)}");
        }
        finally
        {
            await undo();
        }
    }

    /// <summary>The lab's MASQUERADE rule as iptables-save prints it, without its "-A": the chain and the rule, for -D, -C or -A.</summary>
    public async Task<string[]> MasqueradeRuleAsync()
    {
        var saved = await Lab.ExecAsync(NamespaceRole.Host, "iptables-save", "-t", "nat");
        var line = saved.StandardOutput.Split('\n').Single(l => l.StartsWith("-A POSTROUTING ", StringComparison.Ordinal) && l.EndsWith("-j MASQUERADE", StringComparison.Ordinal));
        // The comment is the only quoted word ("netdash:LAB"), and it has no spaces.
        return [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(word => word.Trim('"'))];
    }

    /// <summary>A command in vm1 through its agent, as a person types it in the guest's shell.</summary>
    public async Task GuestAsync(string command)
    {
        await GuestOutputAsync(command);
    }

    /// <summary>A command in vm1 that must succeed; its output.</summary>
    public async Task<string> GuestOutputAsync(string command)
    {
        var result = await Lab.Vms.ExecAsync(Lab.Name, Lab.Vm("vm1"), command, GuestCommandTimeout);
        Assert.True(result.Succeeded, $"(vm1)$ {command}: {result.Output}");
        return result.Output;
    }
}

/// <summary>The trace through HTTP, with the access token as a script sends it.</summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ApiTraceTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Trace_NatPcFromPc_Returns200WithEveryHopSeenAndTheReply()
    {
        await using var lab = server.NewLab("ta");
        await lab.UpAsync("nat-pc.yaml");

        var response = await server.Http.PostAsJsonAsync($"api/labs/{lab.Name}/trace", new { from = "pc", to = "203.0.113.5", protocol = "icmp" });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var report = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(report.GetProperty("replied").GetBoolean(), report.ToString());
        Assert.Equal(["pc/eth0", "host/ens192", "host/br0", "host/ens160", "wan/eth0"],
            report.GetProperty("request").EnumerateArray().Select(h => h.GetProperty("station").GetString()));
        Assert.All(report.GetProperty("request").EnumerateArray(), h => Assert.True(h.GetProperty("seen").GetBoolean()));
        Assert.All(report.GetProperty("reply").EnumerateArray(), h => Assert.True(h.GetProperty("seen").GetBoolean()));
    }

    [Theory]
    [InlineData("to", "pc", "203.0.113.5/24", "icmp")]
    [InlineData("protocol", "pc", "203.0.113.5", "udp:54")]
    [InlineData("from", "vm 1", "203.0.113.5", "icmp")]
    public async Task Trace_BadBodyField_Returns400NamingIt(string field, string from, string to, string protocol)
    {
        await using var lab = server.NewLab("tb");
        await lab.UpAsync("nat-pc.yaml");
        var journalBefore = lab.Service.JournalOf(lab.Name)!.Count;

        var response = await server.Http.PostAsJsonAsync($"api/labs/{lab.Name}/trace", new { from, to, protocol });
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], problem.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(journalBefore, lab.Service.JournalOf(lab.Name)!.Count);
    }
}

/// <summary>A fault made as a person makes it: a plain command in the lab's host namespace, never through the app.</summary>
internal static class HostShell
{
    /// <summary>Runs <paramref name="argv"/> in the host namespace; it must succeed.</summary>
    public static async Task RunAsync(TestLab lab, params string[] argv)
    {
        var result = await lab.ExecAsync(NamespaceRole.Host, argv);
        Assert.True(result.ExitCode == 0, $"(host)$ {string.Join(' ', argv)}: {result.StandardError}");
    }
}

/// <summary>Reading a trace's hops in assertions.</summary>
internal static class TraceHops
{
    /// <summary>The hops are exactly <paramref name="stations"/>, in that order, and the packet was seen on each.</summary>
    public static void AllSeen(IReadOnlyList<TraceHop> hops, params string[] stations)
    {
        Assert.Equal(stations, hops.Select(h => h.Station.ToString()));
        Assert.All(hops, hop => Assert.True(hop.Seen, $"not seen on {hop.Station}"));
    }

    public static TraceHop At(IReadOnlyList<TraceHop> hops, string station) => hops.Single(h => h.Station.ToString() == station);
}

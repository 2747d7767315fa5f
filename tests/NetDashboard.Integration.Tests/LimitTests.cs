using NetDashboard.Lab.Services;
using NetDashboard.Lab.Model;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Caps per client and per lab (issue 17, finding 3 and 10): capture streams and captures, traces of one lab, guest
/// commands to one VM; and the races of finding 11 (a VM or the lab gone during a trace). Real dashboard, real labs.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class LimitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Unanswered = "203.0.113.99";

    [Fact]
    public async Task Hub_FiftyStreamAttemptsWithDistinctFilters_CapsRefuseTheRestMemoryStaysWithinTwiceIdleAndThreadsOnePerCapture()
    {
        await using var app = await AppProcess.StartInOwnFolderAsync();
        await using var lab = new TestLab("cap", app.RuntimeRoot);
        await lab.UpAsync("nat-pc.yaml");
        // Idle: the lab up, the hub warmed by one stream opened and ended.
        await using (var warm = await CaptureViewer.OpenAsync(app, lab.Name, "host", "br0"))
            await warm.WaitUntilRunningAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(1000);
        var idle = Usage(app.Pid);

        // The per-connection cap: eight streams of one capture (one of the lab's 16) on one connection, then a ninth.
        string ninthAnswer;
        await using (var one = await app.ConnectCaptureHubAsync())
        using (var end = new CancellationTokenSource())
        {
            var eight = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => FirstAnswerAsync(one, lab.Name, "icmp", end.Token))).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(eight, a => Assert.Equal("open", a));
            ninthAnswer = await FirstAnswerAsync(one, lab.Name, "icmp", end.Token).WaitAsync(TimeSpan.FromSeconds(30));
            await end.CancelAsync();
        }
        using (var http = app.CreateClient())
            await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"api/labs/{lab.Name}/captures")).GetArrayLength() == 0,
                TimeSpan.FromSeconds(10), "the lab's captures closed");

        var connections = new List<HubConnection>();
        var attempts = new List<Task<string>>();
        using var stop = new CancellationTokenSource();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                if (i % 8 == 0) connections.Add(await app.ConnectCaptureHubAsync());
                attempts.Add(FirstAnswerAsync(connections[^1], lab.Name, $"icmp or udp port {1000 + i}", stop.Token));
            }
            var answers = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(60));
            var ping = await lab.ExecAsync(Lab.Model.NamespaceRole.Pc, "ping", "-c", "20", "-i", "0.05", "-q", "203.0.113.5");
            Assert.Equal(0, ping.ExitCode);
            await Task.Delay(1500);
            var busy = Usage(app.Pid);
            // The burst of 50 opens can make the thread pool inject workers under load; idle workers retire after
            // 20 s. What stays while the 16 captures run is what is measured (the streams are still open).
            var settled = DateTime.UtcNow.AddSeconds(25);
            while (busy.Threads > idle.Threads + 16 + 4 && DateTime.UtcNow < settled)
            {
                await Task.Delay(1000);
                busy = Usage(app.Pid);
            }

            var opened = answers.Count(a => a == "open");
            Assert.Equal(16, opened);
            Assert.All(answers.Where(a => a != "open"), a => Assert.Contains(
                $"lab {lab.Name} has 16 captures open (one per interface and filter), the most allowed (NetDashboard:Capture:MaxCapturesPerLab)", a));
            Assert.True(ninthAnswer.Contains("this connection has 8 capture streams open, the most allowed (NetDashboard:Capture:MaxStreamsPerConnection)", StringComparison.Ordinal),
                $"{ninthAnswer}\n{app.Output}");
            // The kernel's capture rings are mapped whole into the dashboard and count (as file) in its RSS.
            Assert.True(busy.RssKib <= 2 * idle.RssKib, $"with the streams open: {busy}; idle: {idle}");
            // A capture's libpcap loop holds a thread of its own (decoding runs on the pool): one per capture the cap
            // allows, the conntrack follower and a few pool threads; not one or more per stream.
            Assert.True(busy.Threads <= idle.Threads + 16 + 4, $"with the streams open: {busy}; idle: {idle}");
            output.WriteLine($"idle: {idle}; with 16 captures and 50 stream attempts: {busy}");
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task TraceApi_TenAtOnceInOneLab_OneRunsFourWaitTheRestGet429AndEveryVerdictIsTheLoneOne()
    {
        await using var app = await AppProcess.StartInOwnFolderAsync();
        using var http = app.CreateClient();
        await using var lab = new TestLab("tq", app.RuntimeRoot);
        await lab.UpAsync("nat-pc.yaml");
        var question = new { from = "pc", to = Unanswered };
        using var alone = JsonDocument.Parse(await (await http.PostAsJsonAsync($"api/labs/{lab.Name}/trace", question)).Content.ReadAsStringAsync());

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => http.PostAsJsonAsync($"api/labs/{lab.Name}/trace", question)));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        var refused = responses.Select((r, i) => (r.StatusCode, Body: bodies[i])).Where(x => x.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var ran = responses.Select((r, i) => (r.StatusCode, Body: bodies[i])).Where(x => x.StatusCode == HttpStatusCode.OK).ToList();
        Assert.Equal(10 - 1 - LabService.MaxTracesWaiting, refused.Count);
        Assert.All(refused, x => Assert.Contains($"traces of lab {lab.Name} run one at a time and {LabService.MaxTracesWaiting} already wait their turn; try again when one has finished", x.Body));
        Assert.Equal(1 + LabService.MaxTracesWaiting, ran.Count);
        // One at a time, each sees what the lone one saw: the request on the same stations, the same verdict.
        static string Seen(JsonElement report) => string.Join(",", report.GetProperty("request").EnumerateArray().Select(h => h.GetProperty("seen").GetBoolean()));
        Assert.All(ran, x =>
        {
            using var report = JsonDocument.Parse(x.Body);
            Assert.Equal(alone.RootElement.GetProperty("verdict").GetProperty("reason").GetString(), report.RootElement.GetProperty("verdict").GetProperty("reason").GetString());
            Assert.Equal(Seen(alone.RootElement), Seen(report.RootElement));
        });
    }

    [Fact]
    public async Task Exec_TwelveAtOnceToOneVm_OneRunsEightWaitTheRestAreRefusedAndEachGetsItsOwnOutput()
    {
        await using var lab = new TestLab("gq");
        await lab.UpAsync("seed-tap.yaml", wait: true);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => lab.Service.ExecAsync(lab.Name, "vm1", $"sleep 0.2; echo call-{i}")));

        var ran = outcomes.Select((o, i) => (Outcome: o, Index: i)).Where(x => x.Outcome.Guest is not null).ToList();
        var refused = outcomes.Where(o => o.Result.Outcome == ActionOutcome.TooMany).ToList();
        Assert.Equal(1 + VmSupervisor.MaxGuestCommandsWaiting, ran.Count);
        Assert.Equal(12 - ran.Count, refused.Count);
        Assert.All(ran, x => Assert.Equal((0, $"call-{x.Index}\n"), (x.Outcome.Guest!.ExitCode, x.Outcome.Guest.Output)));
        Assert.All(refused, o => Assert.Contains($"guest commands to vm1 run one at a time and {VmSupervisor.MaxGuestCommandsWaiting} already wait their turn", o.Result.Message));
    }

    [Fact]
    public async Task Exec_CallerGoesAway_TheCommandIsStoppedInTheGuestAndTheNextRunsAtOnce()
    {
        await using var lab = new TestLab("gc");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        using var caller = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            lab.Service.ExecAsync(lab.Name, "vm1", "sleep 30; echo late > /tmp/late", TimeSpan.FromSeconds(60), caller.Token));
        var clock = Stopwatch.StartNew();
        var next = await lab.Service.ExecAsync(lab.Name, "vm1", "ps | grep -c '[s]leep 30'; cat /tmp/late 2>/dev/null; echo done");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the next command waited {clock.ElapsedMilliseconds} ms");
        Assert.Equal("0\ndone\n", next.Guest?.Output);
    }

    [Fact]
    public async Task Trace_Vm1KilledWhileItsProbeIsOut_SaysVm1StoppedDuringTheTrace()
    {
        await using var lab = new TestLab("tk");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var pid = lab.Store.Read(lab.Name)!.Vms["vm1"].Pid;

        var tracing = lab.Service.TraceAsync(lab.Name, "vm1", "192.168.1.99", "icmp");
        // Killed once the trace has found vm1 running and opened its captures: before that it would rightly say
        // "vm1 is not running".
        await Poll.UntilAsync(() => lab.Captures.Captures.Any(c => c.Key.Lab == lab.Name), TimeSpan.FromSeconds(30), "the trace's captures open");
        using (var qemu = Process.GetProcessById(pid)) qemu.Kill();
        var outcome = await tracing;

        Assert.Equal(NetDashboard.Lab.Model.TraceVerdict.Interrupted, TraceVerdictReason(outcome));
        Assert.StartsWith("vm1 stopped during the trace", outcome.Report!.Verdict!.Sentence);
        Assert.Null(outcome.Report.Verdict.Fix);
        Assert.Equal(outcome.Report.Verdict.Sentence, outcome.Result.Message);
    }

    [Fact]
    public async Task Trace_LabRemovedWhileTheProbeIsOut_SaysTheLabWasRemovedDuringTheTrace()
    {
        await using var lab = new TestLab("tr");
        await lab.UpAsync("nat-pc.yaml");

        // TCP to a silent address: the probe waits out its 2 s limit, time for the teardown to end while it is out.
        var tracing = lab.Service.TraceAsync(lab.Name, "pc", Unanswered, "tcp:80");
        await Poll.UntilAsync(() => lab.Captures.Captures.Any(c => c.Key.Lab == lab.Name), TimeSpan.FromSeconds(30), "the trace's captures open");
        var down = await lab.Service.TearDownAsync(lab.Name);
        var outcome = await tracing;

        Assert.True(down.Result.Succeeded, down.Result.Message);
        Assert.Equal(NetDashboard.Lab.Model.TraceVerdict.Interrupted, TraceVerdictReason(outcome));
        Assert.StartsWith("The lab was removed during the trace", outcome.Report!.Verdict!.Sentence);
        Assert.Null(outcome.Report.Verdict.Fix);
    }

    private static string? TraceVerdictReason(TraceOutcome outcome) =>
        outcome.Report?.Verdict?.Reason ?? throw new Xunit.Sdk.XunitException($"no verdict: {outcome.Result.Message}");

    // "open" once the stream's first batch came (the stream is then read on until the test ends: the caps count open
    // streams), else the hub's refusal.
    private static Task<string> FirstAnswerAsync(HubConnection connection, string lab, string filter, CancellationToken stop)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in connection.StreamAsync<CaptureBatch>("Stream", lab, "host", "br0", filter, stop))
                    answer.TrySetResult("open");
                answer.TrySetResult("ended");
            }
            catch (HubException e)
            {
                answer.TrySetResult(e.Message);
            }
            catch (Exception e)
            {
                answer.TrySetResult($"{e.GetType().Name}: {e.Message}");
            }
        });
        return answer.Task;
    }

    private sealed record ProcessUsage(long RssKib, long AnonKib, long FileKib, int Threads)
    {
        public override string ToString() => $"RSS {RssKib} KiB (anon {AnonKib}, file {FileKib}), {Threads} threads";
    }

    private static ProcessUsage Usage(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0]);
        return new(Field("VmRSS"), Field("RssAnon"), Field("RssFile"), (int)Field("Threads"));
    }
}

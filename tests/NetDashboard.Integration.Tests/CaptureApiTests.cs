using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Captures from outside the dashboard: the SignalR hub with the .NET client (MessagePack), the pcapng download read
/// back by tshark, and the newest rows as JSON. The real app, a real nat-pc lab; the external PC pings the internet
/// server through br0 and NAT, so br0 sees 192.168.1.3 and ens160 sees 10.180.13.232.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class CaptureApiTests(ApiServer server) : IClassFixture<ApiServer>
{
    private AppProcess App => server.App;

    [Fact]
    public async Task Hub_TwoClientsOfOneInterface_BothGetTheNatRowsFromOneSharedCapture()
    {
        await using var lab = server.NewLab("ch");
        await lab.UpAsync("nat-pc.yaml");
        await using var first = await CaptureViewer.OpenAsync(App, lab.Name, "host", "ens160", "icmp");
        await using var second = await CaptureViewer.OpenAsync(App, lab.Name, "host", "ens160", "icmp");
        static bool IsRequest(PacketRow r) => r.Info.Contains("echo request");

        await Poll.UntilAsync(async () => await CapturingAsync(lab.Name), TimeSpan.FromSeconds(10), "the capture running");
        await Task.Delay(300);
        var ping = await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "3", "-i", "0.2", "203.0.113.5");
        Assert.Equal(0, ping.ExitCode);
        await first.WaitForRowsAsync(IsRequest, 3, TimeSpan.FromSeconds(10));
        await second.WaitForRowsAsync(IsRequest, 3, TimeSpan.FromSeconds(10));
        var running = await RunningAsync(lab.Name);

        var requests = first.Rows.Where(IsRequest).ToList();
        Assert.All(requests, r => Assert.StartsWith("IP 10.180.13.232 > 203.0.113.5: ICMP echo request", r.Info));
        // One capture, one ring: both clients read the same rows, numbered the same.
        Assert.Single(running);
        Assert.Equal("host/ens160", running[0].GetProperty("name").GetString());
        Assert.Equal(requests.Select(r => r.Sequence), second.Rows.Where(IsRequest).Select(r => r.Sequence));
    }

    [Fact]
    public async Task Hub_BadFilter_RefusedWithTheCompilersMessage()
    {
        await using var lab = server.NewLab("cb");
        await lab.UpAsync("nat-pc.yaml");
        await using var client = await App.ConnectCaptureHubAsync();

        var error = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in client.StreamAsync<CaptureBatch>("Stream", lab.Name, "host", "br0", "icmp and and", CancellationToken.None))
            {
            }
        });

        Assert.Contains("filter", error.Message);
        Assert.Empty(await RunningAsync(lab.Name));
    }

    [Fact]
    public async Task PcapNg_DuringAPing_TsharkShowsTheRewrittenSourceAndTheInterfaceName()
    {
        await using var lab = server.NewLab("cp");
        await lab.UpAsync("nat-pc.yaml");
        var download = server.Http.GetAsync($"api/labs/{lab.Name}/captures/host/ens160.pcapng?seconds=4&filter=icmp");
        await Task.Delay(1000);
        await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "3", "-i", "0.2", "203.0.113.5");
        using var response = await download;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var file = Path.Combine(server.RuntimeRoot, $"{lab.Name}.pcapng");
        await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());

        var tshark = await Cli.Wrap("tshark").WithArguments(["-r", file, "-T", "fields", "-e", "frame.interface_name", "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        Assert.Contains("host/ens160\t10.180.13.232\t203.0.113.5\t8", tshark.StandardOutput);
    }

    [Fact]
    public async Task PcapNg_ThreePanesDuringAPing_TsharkShowsTheCorrelationAsPacketComments()
    {
        await using var lab = server.NewLab("cc");
        await lab.UpAsync("nat-pc.yaml");
        string[] panes = ["ens192", "br0", "ens160"];
        var viewers = new List<CaptureViewer>();
        try
        {
            foreach (var pane in panes)
                viewers.Add(await CaptureViewer.OpenAsync(App, lab.Name, "host", pane));
            foreach (var viewer in viewers)
                await viewer.WaitUntilRunningAsync(TimeSpan.FromSeconds(10));
            var ping = await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "2", "-i", "0.2", "203.0.113.5");
            Assert.Equal(0, ping.ExitCode);
            foreach (var viewer in viewers)
                await viewer.WaitForRowsAsync(r => r.Info.Contains("echo reply"), 2, TimeSpan.FromSeconds(10));

            using var response = await server.Http.GetAsync($"api/labs/{lab.Name}/captures.pcapng?panes=host/ens192,host/br0,host/ens160");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var file = Path.Combine(server.RuntimeRoot, $"{lab.Name}-panes.pcapng");
            await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());
            var tshark = await Cli.Wrap("tshark")
                .WithArguments(["-r", file, "-Y", "icmp", "-T", "fields", "-e", "frame.interface_name", "-e", "icmp.type", "-e", "icmp.seq", "-e", "frame.comment"])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            Assert.True(tshark.ExitCode == 0, tshark.StandardError);
            var echoes = tshark.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

            // Each echo on each pane (2 requests and 2 replies × 3 hops) in one conversation. Its number depends on what
            // came first in the file: br0 coming up may send an IGMP report that the captures catch, and that is flow 1.
            Assert.True(echoes.Length == 12, tshark.StandardOutput);
            var flows = echoes.Select(e => e.Split("\tflow ", 2) is [_, var rest] ? rest.Split(',')[0] : "none").Distinct().ToList();
            Assert.True(flows.Count == 1 && flows[0] != "none", tshark.StandardOutput);
            var flow = flows[0];
            Assert.Contains($"host/ens160\t8\t1\tflow {flow}, hop 3/3, source rewritten 192.168.1.3 → 10.180.13.232, TTL 64 → 63", echoes);
            Assert.Contains($"host/ens192\t8\t2\tflow {flow}, hop 1/3", echoes);
            Assert.Contains($"host/br0\t0\t2\tflow {flow}, hop 2/3, destination rewritten 10.180.13.232 → 192.168.1.3, TTL 64 → 63", echoes);
        }
        finally
        {
            foreach (var viewer in viewers)
                await viewer.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("api/labs/LAB/captures/nowhere/br0.pcapng?seconds=1", "namespace")]
    [InlineData("api/labs/LAB/captures/host/bad%20name.pcapng?seconds=1", "interface")]
    [InlineData("api/labs/LAB/captures/host/br0.pcapng?seconds=61", "seconds")]
    [InlineData("api/labs/LAB/captures/host/br0.pcapng?seconds=1&filter=port%20banana", "filter")]
    public async Task PcapNg_BadSegment_Refused400NamingIt(string path, string field)
    {
        await using var lab = server.NewLab("cv");
        await lab.UpAsync("nat-pc.yaml");

        using var response = await server.Http.GetAsync(path.Replace("LAB", lab.Name, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Packets_OfARunningCapture_NewestRowsAsJson()
    {
        await using var lab = server.NewLab("cj");
        await lab.UpAsync("nat-pc.yaml");
        await using var viewer = await CaptureViewer.OpenAsync(App, lab.Name, "host", "br0");
        await Poll.UntilAsync(async () => await CapturingAsync(lab.Name), TimeSpan.FromSeconds(10), "the capture running");
        await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "2", "-i", "0.2", "203.0.113.5");
        await viewer.WaitForRowsAsync(r => r.Info.Contains("echo request"), 2, TimeSpan.FromSeconds(10));

        var packets = await server.Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab.Name}/captures/host/br0/packets?limit=50");
        var none = await server.Http.GetAsync($"api/labs/{lab.Name}/captures/host/tap9/packets");

        Assert.Contains(packets.EnumerateArray(), p => p.GetProperty("info").GetString()!.StartsWith("IP 192.168.1.3 > 203.0.113.5: ICMP echo request", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    // The one capture is listed and its handle is open: what is sent now is seen.
    private async Task<bool> CapturingAsync(string lab) =>
        await RunningAsync(lab) is [var capture] && capture.GetProperty("stats").GetProperty("state").GetString() == "Running";

    private async Task<List<JsonElement>> RunningAsync(string lab) =>
        (await server.Http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/captures")).EnumerateArray().ToList();
}

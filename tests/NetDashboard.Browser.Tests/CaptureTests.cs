using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// The tutorial's climax in the browser: vm1 pings the internet server and the captures page shows the same echo
/// requests on tap0 and br0 from 192.168.1.10, and on the uplink ens160 from 10.180.13.232 (NAT rewrote it);
/// clicking one request lights the same packet on the other panes, with the rewrite, and its way on the graph.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class CaptureTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task CapturesPage_SeedNatWithVm1Pinging_PanesShowTheRewriteARowOpensItsBytesTwinsAndPathLightAndTheNatTableMarksTheFlow()
    {
        await using var lab = server.NewLab("cn");
        await lab.UpAsync("seed-nat.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await page.GetByTestId("open-captures").ClickAsync();
        await page.WaitForURLAsync($"**/labs/{lab.Name}/captures**");
        var tap0 = page.GetByTestId("pane-host/tap0");
        var br0 = page.GetByTestId("pane-host/br0");
        var ens160 = page.GetByTestId("pane-host/ens160");
        foreach (var pane in new[] { tap0, br0, ens160 })
            await Assertions.Expect(pane.GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        var ping = await lab.Service.ExecAsync(lab.Name, "vm1", "ping -c 4 -i 0.3 203.0.113.5");
        Assert.True(ping.Guest?.ExitCode == 0, ping.Result.Message + ping.Guest?.Output);

        await Assertions.Expect(tap0.GetByTestId("pane-rows")).ToContainTextAsync("IP 192.168.1.10 > 203.0.113.5: ICMP echo request");
        await Assertions.Expect(br0.GetByTestId("pane-rows")).ToContainTextAsync("IP 192.168.1.10 > 203.0.113.5: ICMP echo request");
        await Assertions.Expect(ens160.GetByTestId("pane-rows")).ToContainTextAsync("IP 10.180.13.232 > 203.0.113.5: ICMP echo request");
        await Assertions.Expect(ens160.GetByTestId("pane-rows")).Not.ToContainTextAsync("192.168.1.10 >");

        await ens160.Locator(".capture-row", new() { HasText = "echo request" }).First.ClickAsync();
        var detail = page.GetByTestId("packet-detail");
        await Assertions.Expect(detail).ToContainTextAsync("ICMP");
        await Assertions.Expect(page.GetByTestId("packet-hex")).ToContainTextAsync("0000");
        await DashboardServer.ScreenshotAsync(page, "captures-nat");

        // vm1's second echo request on tap0: the same packet on br0 and ens160, the rewrite shown on ens160's row.
        var request = tap0.Locator(".capture-row", new() { HasText = "ICMP echo request, id" }).Nth(1);
        var sequence = (await request.InnerTextAsync()).Split("seq ")[1].Split(',')[0];
        await request.ClickAsync();
        var br0Twin = br0.Locator(".capture-row.twin");
        var ens160Twin = ens160.Locator(".capture-row.twin");
        await Assertions.Expect(br0Twin).ToContainTextAsync($"IP 192.168.1.10 > 203.0.113.5: ICMP echo request, id");
        await Assertions.Expect(br0Twin).ToContainTextAsync($"seq {sequence},");
        await Assertions.Expect(ens160Twin).ToContainTextAsync($"IP 10.180.13.232 > 203.0.113.5: ICMP echo request");
        await Assertions.Expect(ens160Twin).ToContainTextAsync($"seq {sequence},");
        await Assertions.Expect(ens160Twin.GetByTestId("twin-changes")).ToHaveTextAsync("source 192.168.1.10 → 10.180.13.232");
        await Assertions.Expect(tap0.Locator(".capture-row.selected .seen")).ToHaveTextAsync("×3");
        await Assertions.Expect(page.GetByTestId("journey")).ToContainTextAsync("host/ens160");
        // The graph lights vm1, tap0, br0, the router (where NAT rewrote it) and ens160, in that order.
        await Assertions.Expect(page.GetByTestId("captures-graph").GetByTestId("topology-graph"))
            .ToHaveAttributeAsync("data-journey", "vm:vm1 link:host:tap0 link:host:br0 router link:host:ens160");
        await DashboardServer.ScreenshotAsync(page, "captures-journey");

        // The NAT table holds vm1's ping (conntrack's events in the host), and choosing it marks its packets on both sides.
        var entry = page.GetByTestId("nat-table").GetByTestId("nat-entry").Filter(new() { HasText = "192.168.1.10 → 203.0.113.5" }).First;
        await Assertions.Expect(entry).ToContainTextAsync("192.168.1.10 → 10.180.13.232");
        await entry.ClickAsync();
        await Assertions.Expect(ens160.Locator(".capture-row.flow", new() { HasText = "IP 10.180.13.232 > 203.0.113.5" }).First).ToBeVisibleAsync();
        await Assertions.Expect(tap0.Locator(".capture-row.flow", new() { HasText = "IP 192.168.1.10 > 203.0.113.5" }).First).ToBeVisibleAsync();
        // The graph's links carry live packets per second from the interfaces' counters (vm1 → tap0 while it pings).
        var flood = lab.Service.ExecAsync(lab.Name, "vm1", "ping -c 6 -i 0.2 203.0.113.5");
        await Assertions.Expect(page.GetByTestId("captures-graph").GetByTestId("topology-graph"))
            .ToHaveAttributeAsync("data-rates", new System.Text.RegularExpressions.Regex(@"vmtap:vm1=[1-9]\d* pkt/s"));
        await flood;
        await DashboardServer.ScreenshotAsync(page, "captures-nat-table");
    }

    [Fact]
    public async Task CapturesPage_BadFilter_ShownBesideTheFieldAndTheCaptureKeepsRunning()
    {
        await using var lab = server.NewLab("cf");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}/captures?panes=host/br0");
        var pane = page.GetByTestId("pane-host/br0");
        await Assertions.Expect(pane.GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        await pane.GetByLabel("BPF filter").FillAsync("icmp and and");
        await pane.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

        await Assertions.Expect(pane).ToContainTextAsync("not a filter libpcap accepts");
        await Assertions.Expect(pane.GetByTestId("pane-state")).ToHaveTextAsync("capturing");
    }
}

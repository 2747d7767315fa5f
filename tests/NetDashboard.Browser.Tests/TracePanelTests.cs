using CliWrap;
using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// "Why can't vm1 reach 203.0.113.5?" on the lab page: with forwarding turned off from a shell the trace says the
/// packet stopped after br0 because forwarding is off and lights vm1 → tap0 → br0 on the graph; the fix button turns
/// forwarding on, traces again, and the whole way to the internet server lights up.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class TracePanelTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task TracePanel_ForwardingTurnedOffInAShell_VerdictAndFixButtonThenTheWholeWayLightsUp()
    {
        await using var lab = server.NewLab("tp");
        await lab.UpAsync("seed-nat.yaml", wait: true);
        await Cli.Wrap("ip").WithArguments(["netns", "exec", lab.Namespaces.Host, "sysctl", "-qw", "net.ipv4.ip_forward=0"]).ExecuteAsync();
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var panel = page.GetByTestId("trace-panel");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(panel).ToContainTextAsync("Why can't vm1 reach 203.0.113.5?");

        await panel.GetByTestId("trace-run").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-verdict")).ToContainTextAsync("The packet stopped after host/br0. IP forwarding is off",
            new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-fix")).ToHaveTextAsync("(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-journey", "vm:vm1 link:host:tap0 link:host:br0");
        await DashboardServer.ScreenshotAsync(page, "trace-forwarding-off");

        await panel.GetByTestId("trace-apply-fix").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-outcome")).ToContainTextAsync("vm1 reached 203.0.113.5 (icmp); the reply came back",
            new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-result")).ToContainTextAsync("source 192.168.1.10 → 10.180.13.232");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-journey",
            "vm:vm1 link:host:tap0 link:host:br0 router link:host:ens160 link:wan:eth0 server");
        Assert.Contains(lab.Service.JournalOf(lab.Name)!, e => e.Tutorial == "echo 1 > /proc/sys/net/ipv4/ip_forward");
        await DashboardServer.ScreenshotAsync(page, "trace-fixed");
    }
}
